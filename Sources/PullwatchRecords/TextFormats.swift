/// Parsers for the text envelopes and payloads of node logs. Each is a pure function of
/// one line; stream state (CRI joining, JSON values, table headers) lives in `RecordDecoder`.
public enum TextFormats {
    /// A CRI container-log line: `2025-11-22T10:00:00.123456789Z stderr F text`.
    public struct CRILine {
        /// The line's timestamp.
        public var timestamp: Timestamp
        /// `stdout` or `stderr`.
        public var isStderr: Bool
        /// True for a `P` (partial) line that continues on the next line of the same stream.
        public var partial: Bool
        /// Offset of the text in the line.
        public var textStart: Int
    }

    /// Recognises a CRI container-log line.
    public static func criLine(_ line: UnsafeRawBufferPointer) -> CRILine? {
        var c = ByteCursor(line)
        guard let first = c.peek, first >= 0x30, first <= 0x39,
              let t = TimeParsing.rfc3339(&c), c.consume(UInt8(ascii: " ")) else { return nil }
        let isStderr: Bool
        if c.consume("stderr ") { isStderr = true } else if c.consume("stdout ") { isStderr = false } else { return nil }
        let partial: Bool
        if c.consume(UInt8(ascii: "P")) { partial = true } else if c.consume(UInt8(ascii: "F")) { partial = false } else { return nil }
        // Tags may carry more flags after ':' (none are defined yet); skip them.
        if c.consume(UInt8(ascii: ":")) { _ = c.word() }
        if !c.atEnd && !c.consume(UInt8(ascii: " ")) { return nil }
        return CRILine(timestamp: t, isStderr: isStderr, partial: partial, textStart: c.index)
    }

    /// The syslog/journal header of a line: where the payload starts and what the header said.
    public struct SyslogHeader {
        /// The header's timestamp.
        public var timestamp: Timestamp?
        /// HOSTNAME.
        public var host: String?
        /// Program (APP-NAME / tag without `[pid]`).
        public var program: String?
        /// True when the timestamp carried its year (RFC 3339), false when the year was inferred.
        public var timestampHasYear: Bool
        /// Which grammar matched.
        public var envelope: Envelope
        /// Offset of the message in the line.
        public var messageStart: Int
    }

    /// Recognises `journalctl` short / short-iso / short-precise text and RFC 3164 / RFC 5424
    /// syslog lines (with or without `<PRI>`).
    public static func syslogHeader(_ line: UnsafeRawBufferPointer, years: YearInference) -> SyslogHeader? {
        var c = ByteCursor(line)
        var hadPRI = false
        if c.peek == UInt8(ascii: "<") {
            let save = c.index
            c.index += 1
            if c.digits(min: 1, max: 3) != nil, c.consume(UInt8(ascii: ">")) { hadPRI = true } else { c.index = save }
        }
        if hadPRI, c.consume("1 ") {
            return rfc5424(&c)
        }
        let timestamp: Timestamp?
        var hasYear = false
        if let t = TimeParsing.bsd(&c, years: years) {
            timestamp = t
        } else if let first = c.peek, first >= 0x30, first <= 0x39, let t = TimeParsing.rfc3339(&c) {
            timestamp = t
            hasYear = true
        } else {
            return nil
        }
        guard c.skipBlanks() > 0 else { return nil }
        let host = c.word()
        guard host.count > 0, c.consume(UInt8(ascii: " ")) else { return nil }
        // TAG: program name, optional [pid], then ':'.
        let tagStart = c.index
        while let b = c.peek, b != UInt8(ascii: "["), b != UInt8(ascii: ":"), b != 0x20 { c.index += 1 }
        let program = UnsafeRawBufferPointer(rebasing: line[tagStart..<c.index])
        guard program.count > 0 else { return nil }
        if c.consume(UInt8(ascii: "[")) {
            while let b = c.peek, b != UInt8(ascii: "]") { c.index += 1 }
            guard c.consume(UInt8(ascii: "]")) else { return nil }
        }
        guard c.consume(UInt8(ascii: ":")) else { return nil }
        _ = c.consume(UInt8(ascii: " "))
        return SyslogHeader(timestamp: timestamp, host: host.string, program: program.string,
                            timestampHasYear: hasYear, envelope: .journal, messageStart: c.index)
    }

    /// RFC 5424 after `<PRI>1 `: TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG].
    static func rfc5424(_ c: inout ByteCursor) -> SyslogHeader? {
        var timestamp: Timestamp?
        if c.consume(UInt8(ascii: "-")) { timestamp = nil } else {
            guard let t = TimeParsing.rfc3339(&c) else { return nil }
            timestamp = t
        }
        func nilValue(_ w: UnsafeRawBufferPointer) -> String? { (w.count == 1 && w[0] == UInt8(ascii: "-")) ? nil : w.string }
        guard c.consume(UInt8(ascii: " ")) else { return nil }
        let host = nilValue(c.word())
        guard c.consume(UInt8(ascii: " ")) else { return nil }
        let app = nilValue(c.word())
        guard c.consume(UInt8(ascii: " ")) else { return nil }
        _ = c.word() // PROCID
        guard c.consume(UInt8(ascii: " ")) else { return nil }
        _ = c.word() // MSGID
        guard c.consume(UInt8(ascii: " ")) else { return nil }
        // STRUCTURED-DATA: '-' or one or more [id param="value"...] with \] escapes.
        if !c.consume(UInt8(ascii: "-")) {
            guard c.peek == UInt8(ascii: "[") else { return nil }
            while c.peek == UInt8(ascii: "[") {
                c.index += 1
                var inQuote = false
                while let b = c.peek {
                    c.index += 1
                    if b == UInt8(ascii: "\\") { c.index += 1; continue }
                    if b == UInt8(ascii: "\"") { inQuote.toggle() }
                    if b == UInt8(ascii: "]") && !inQuote { break }
                }
            }
        }
        _ = c.consume(UInt8(ascii: " "))
        _ = c.consume("\u{FEFF}") // BOM before a UTF-8 MSG
        return SyslogHeader(timestamp: timestamp, host: host, program: app, timestampHasYear: true,
                            envelope: .syslog5424, messageStart: c.index)
    }

    /// Parses a payload (the whole line, or what an envelope carried) into `record`:
    /// klog, logrus, or plain text.
    public static func parsePayload(_ payload: UnsafeRawBufferPointer, years: YearInference, into record: inout Record) {
        if parseKlog(payload, years: years, into: &record) { return }
        if parseLogrus(payload, into: &record) { return }
        record.format = .plain
        record.message = payload.string
    }

    /// klog: `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`, structured (`"msg" k="v"`) or not.
    static func parseKlog(_ payload: UnsafeRawBufferPointer, years: YearInference, into record: inout Record) -> Bool {
        var c = ByteCursor(payload)
        guard let level = c.peek, level == UInt8(ascii: "I") || level == UInt8(ascii: "W")
                || level == UInt8(ascii: "E") || level == UInt8(ascii: "F") else { return false }
        c.index += 1
        guard let mmdd = c.digits(min: 4, max: 4), c.consume(UInt8(ascii: " ")),
              let tod = TimeParsing.timeOfDay(&c), c.skipBlanks() > 0,
              c.digits(min: 1, max: 10) != nil, c.consume(UInt8(ascii: " ")) else { return false }
        // file:line]
        while let b = c.peek, b != UInt8(ascii: "]"), b != 0x20 { c.index += 1 }
        guard c.consume(UInt8(ascii: "]")) else { return false }
        _ = c.consume(UInt8(ascii: " "))
        record.format = .kubelet
        record.level = String(UnicodeScalar(level))
        if record.timestamp == nil {
            record.timestamp = years.resolve(month: mmdd / 100, day: mmdd % 100, secondsOfDay: tod.seconds, nanos: tod.nanos)
        }
        if record.component == nil { record.component = "kubelet" }
        if c.peek == UInt8(ascii: "\"") {
            let msg = GoQuoting.readQuoted(&c)
            let (fields, trailing) = Logfmt.fields(&c)
            record.fields = fields
            record.message = render(message: String(decoding: msg, as: UTF8.self), fields: fields, trailing: trailing, skipping: [])
            applyKubeletFields(&record)
        } else {
            record.message = String(decoding: GoQuoting.unnest(Array(c.rest)), as: UTF8.self)
            applyUnstructuredPod(&record)
        }
        return true
    }

    /// logrus text: `time="…" level=error msg="…" error="…"` (containerd, CRI-O, dockerd).
    static func parseLogrus(_ payload: UnsafeRawBufferPointer, into record: inout Record) -> Bool {
        guard payload.hasPrefix("time=") || payload.hasPrefix("level=") else { return false }
        var c = ByteCursor(payload)
        let (fields, trailing) = Logfmt.fields(&c)
        guard let msg = fields.first(where: { $0.key == "msg" }) else { return false }
        record.format = .logrus
        record.fields = fields
        if let t = fields.first(where: { $0.key == "time" }), record.timestamp == nil {
            record.timestamp = TimeParsing.rfc3339(t.value)
        }
        record.level = fields.first { $0.key == "level" }?.value
        record.message = render(message: msg.value, fields: fields, trailing: trailing, skipping: ["time", "level", "msg"])
        applyKubeletFields(&record)
        return true
    }

    /// The payload text: the message, then each field as ` key="value"` (quotes only where
    /// the value has blanks or is empty), then any trailing text.
    static func render(message: String, fields: [Field], trailing: String?, skipping: Set<String>) -> String {
        var out = message
        for f in fields where !skipping.contains(f.key) {
            out += " " + f.key + "="
            if f.value.isEmpty || f.value.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 }) {
                out += "\"" + f.value + "\""
            } else {
                out += f.value
            }
        }
        if let trailing, !trailing.isEmpty { out += " " + trailing }
        return out
    }

    /// kubelet's structured keys: `pod="ns/name"`, `containerName`/`container`.
    static func applyKubeletFields(_ record: inout Record) {
        for f in record.fields {
            switch f.key {
            case "pod":
                if let slash = f.value.firstIndex(of: "/") {
                    record.namespace = record.namespace ?? String(f.value[..<slash])
                    record.pod = record.pod ?? String(f.value[f.value.index(after: slash)...])
                } else if !f.value.isEmpty, record.pod == nil {
                    record.pod = f.value
                }
            case "containerName", "container":
                if record.container == nil, !f.value.isEmpty { record.container = f.value }
            default: break
            }
        }
    }

    /// Old unstructured kubelet lines name pods as `"name_namespace(uid)"`.
    static func applyUnstructuredPod(_ record: inout Record) {
        guard record.pod == nil else { return }
        let s = record.message.utf8
        guard let paren = s.firstIndex(of: UInt8(ascii: "(")) else { return }
        // Only `(uid)`: 32+ hex digits and dashes, then ')'.
        var uidEnd = s.index(after: paren)
        var uidLength = 0
        while uidEnd < s.endIndex,
              s[uidEnd] == UInt8(ascii: "-") || (s[uidEnd] >= 0x30 && s[uidEnd] <= 0x39) || (s[uidEnd] >= 0x61 && s[uidEnd] <= 0x66) {
            uidEnd = s.index(after: uidEnd); uidLength += 1
        }
        guard uidLength >= 32, uidEnd < s.endIndex, s[uidEnd] == UInt8(ascii: ")") else { return }
        // Walk back from '(' over [a-z0-9._-] to the start of "name_namespace".
        var start = paren
        while start > s.startIndex {
            let prev = s.index(before: start)
            let b = s[prev]
            let ok = (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
                || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_")
            if !ok { break }
            start = prev
        }
        let token = String(record.message[start..<paren])
        guard let underscore = token.lastIndex(of: "_"), underscore != token.startIndex else { return }
        let name = String(token[..<underscore]), ns = String(token[token.index(after: underscore)...])
        guard !name.isEmpty, !ns.isEmpty else { return }
        record.pod = name
        record.namespace = ns
    }
}
