import Foundation
import PullwatchIO

/// Options of record decoding, with their defaults.
public struct DecoderOptions: Sendable {
    /// How yearless timestamps get a year (default: relative to now).
    public var years: YearInference
    /// The longest joined CRI / Docker line kept (default `MaxLineBytes.default`).
    public var maxLineBytes: MaxLineBytes
    /// The largest multi-line JSON value (an Event List, say) buffered before it is skipped
    /// as an error. Default 64 MiB.
    public var maxJSONValueBytes: Int
    /// Where shipper records keep the message and the host.
    public var keys: RecordKeys

    /// Defaults, with years inferred relative to the clock.
    public init(years: YearInference = .clock,
                maxLineBytes: MaxLineBytes = .default, maxJSONValueBytes: Int = 64 << 20, keys: RecordKeys = RecordKeys()) {
        self.years = years
        self.maxLineBytes = maxLineBytes
        self.maxJSONValueBytes = maxJSONValueBytes
        self.keys = keys
    }
}

/// The keys of a shipper's JSON record that hold the message and the host, tried in order.
/// A key with dots is a path into nested objects (`kubernetes.host`); a key that exists
/// verbatim with dots in it is matched first.
public struct RecordKeys: Sendable, Equatable {
    public var message: [String]
    public var host: [String]

    public static let defaultMessage = ["message", "log", "msg"]
    public static let defaultHost = ["hostname", "host", "kubernetes.host"]

    public init(message: [String] = RecordKeys.defaultMessage, host: [String] = RecordKeys.defaultHost) {
        self.message = message
        self.host = host
    }

    /// The defaults with `message` and `host` tried first.
    public init(preferring message: [String], host: [String]) {
        self.init(message: message + RecordKeys.defaultMessage.filter { !message.contains($0) },
                  host: host + RecordKeys.defaultHost.filter { !host.contains($0) })
    }
}

/// Decodes the lines of one stream into records. Sniffs the format per line, keeps the
/// state that spans lines: multi-line JSON values (`kubectl get events -w -o json`), CRI
/// `P`/`F` partials, Docker 16 KiB fragments, and the context of `kubectl describe` /
/// `kubectl get events` tables. A line no format recognises becomes a `plain` record:
/// nothing is dropped silently; what is skipped is counted in `errors`/`skippedValues`.
public final class RecordDecoder {
    /// The source name used in records and errors.
    public let source: String
    /// The options in force.
    public private(set) var options: DecoderOptions
    /// Moves the year reference to `now` when it follows the clock (`YearInference.clock`);
    /// `BlockDecoder` calls it for every block.
    public func followClock(now: Timestamp = Timestamp(nanoseconds: Int64(Date().timeIntervalSince1970 * 1e9))) {
        if options.years.followsClock { options.years.reference = now }
    }

    /// Problems met so far (malformed JSON values, over-long values).
    public private(set) var errors: [InputError] = []

    /// The errors met since the last call (live modes drain them into each batch, so the list
    /// does not grow for the life of the process).
    public func takeErrors() -> [InputError] {
        defer { errors.removeAll() }
        return errors
    }
    /// JSON values skipped because they were malformed or too large.
    public private(set) var skippedValues = 0
    /// Lines that began as JSON but were not (read as text instead) plus values that did not
    /// parse: what a sink reports as malformed JSON.
    public private(set) var malformedJSON = 0

    // Multi-line JSON value being accumulated.
    private var json = JSONScanner()
    private var jsonBuffer: [UInt8] = []
    private var jsonLines: [(number: Int, bytes: [UInt8])] = []
    private var jsonStartLine = 0

    // CRI and Docker partial lines, per stream (stdout/stderr).
    private struct Partial: Codable { var text: [UInt8]; var timestamp: Timestamp?; var line: Int; var cut: Bool }
    private var partials: [String: Partial] = [:]
    private var partialFormat: Envelope = .cri

    // kubectl describe / get events context.
    private var describeName: String?
    private var describeNamespace: String?
    private var describeNode: String?
    private var inEventsSection = false
    private var tableHeader: EventTables.Header?

    private let pathMetadata: (namespace: String?, pod: String?, container: String?)

    /// A decoder for the stream named `source`.
    public init(source: String, options: DecoderOptions = DecoderOptions()) {
        self.source = source
        self.options = options
        self.pathMetadata = RecordDecoder.criPathMetadata(source)
    }

    /// Whether `line` may be skipped unparsed when no rule literal is in it: only for
    /// self-contained line formats (journal/syslog text, klog, logrus) and only while no
    /// multi-line state is pending (a JSON value, CRI/Docker partials). Table, describe, CRI
    /// and JSON lines always reach the decoder: they carry state for the lines after them.
    public func isSkippable(_ line: UnsafeRawBufferPointer) -> Bool {
        guard !json.active, partials.isEmpty else { return false }
        switch FormatSniffer.sniff(line) {
        case .journal, .syslog5424, .klog, .logrus: return true
        case .cri, .json, .table, .plain: return false
        }
    }

    /// Whether a JSON line may be skipped unparsed when no rule literal is in it (the caller
    /// knows its literals survive JSON escaping): only a line that is one whole, valid JSON
    /// object (`JSONValidation`) while no multi-line state is pending, and not a Docker
    /// json-file line (its fragments join with the next) nor a journal entry whose MESSAGE is
    /// a byte array (its text is not visible). A malformed line is never skipped: the parser
    /// sees it and counts it.
    public func isSkippableJSON(_ line: UnsafeRawBufferPointer) -> Bool {
        guard !json.active, partials.isEmpty else { return false }
        let t = line.trimmed
        guard t.first == UInt8(ascii: "{"), t.last == UInt8(ascii: "}") else { return false }
        if t.hasPrefix("{\"log\":") || RecordDecoder.hasByteArrayMessage(t) { return false }
        return JSONValidation.isValid(t)
    }

    /// `"MESSAGE"`, optional spaces, `:`, optional spaces, `[` (journalctl writes `" : "`).
    static func hasByteArrayMessage(_ t: UnsafeRawBufferPointer) -> Bool {
        var from = 0
        while from < t.count,
              let k = messageKey.withUnsafeBytes({ ByteSearch.find($0, in: UnsafeRawBufferPointer(rebasing: t[from...])) }) {
            var i = from + k + messageKey.count
            while i < t.count, t[i] == 0x20 || t[i] == 0x09 { i += 1 }
            if i < t.count, t[i] == UInt8(ascii: ":") {
                i += 1
                while i < t.count, t[i] == 0x20 || t[i] == 0x09 { i += 1 }
                if i < t.count, t[i] == UInt8(ascii: "[") { return true }
            }
            from += k + 1
        }
        return false
    }
    private static let messageKey = Array(#""MESSAGE""#.utf8)

    /// Decodes one line; `emit` receives zero or more records, credentials redacted.
    public func decode(_ line: Line, emit: (Record) -> Void) {
        decodeRaw(line) { emit(RecordDecoder.redacted($0)) }
    }

    /// Records leave the decoder without credentials (URL userinfo, tokens, passwords).
    static func redacted(_ record: Record) -> Record {
        var r = record
        r.message = Redaction.redact(r.message)
        for i in r.fields.indices { r.fields[i].value = Redaction.redact(r.fields[i].value) }
        return r
    }

    private func decodeRaw(_ line: Line, emit: (Record) -> Void) {
        let bytes = line.bytes
        if json.active {
            continueJSON(bytes, number: line.number, emit: emit)
            return
        }
        let trimmed = bytes.trimmed
        if let first = trimmed.first, first == UInt8(ascii: "{") || first == UInt8(ascii: "["),
           startJSON(bytes, number: line.number, emit: emit) {
            return
        }
        decodeText(bytes, number: line.number, emit: emit)
    }

    /// Flushes what is pending at the end of the stream (partial lines, an unfinished JSON value).
    public func finish(emit: (Record) -> Void) {
        finishRaw { emit(RecordDecoder.redacted($0)) }
    }

    private func finishRaw(emit: (Record) -> Void) {
        if json.active {
            abandonJSON(reason: "JSON value not terminated before end of input; its lines are read as text", emit: emit)
        }
        for key in partials.keys.sorted() {
            if let p = partials.removeValue(forKey: key) { emitPartial(p, emit: emit) }
        }
    }

    // MARK: state across checkpoints (follow)

    private struct Pending: Codable { var partials: [String: Partial]; var format: String }

    /// True while a multi-line JSON value is being gathered: a checkpoint must not be placed
    /// inside it (follow rewinds to `pendingJSONStartLine` instead).
    public var hasPendingJSON: Bool { json.active }
    /// The line where the JSON value being gathered started.
    public var pendingJSONStartLine: Int { jsonStartLine }

    /// CRI / Docker partial lines waiting for their final part, for a checkpoint (nil: none).
    public func exportPending() -> Data? {
        guard !partials.isEmpty else { return nil }
        return try? JSONEncoder().encode(Pending(partials: partials, format: partialFormat.rawValue))
    }

    /// Restores what `exportPending` saved.
    public func importPending(_ data: Data?) {
        guard let data, let p = try? JSONDecoder().decode(Pending.self, from: data) else { return }
        partials = p.partials
        partialFormat = Envelope(rawValue: p.format) ?? .cri
    }

    // MARK: text lines

    private func decodeText(_ bytes: UnsafeRawBufferPointer, number: Int, emit: (Record) -> Void) {
        if let cri = TextFormats.criLine(bytes) {
            let text = UnsafeRawBufferPointer(rebasing: bytes[cri.textStart...])
            appendPartial(stream: cri.isStderr ? "stderr" : "stdout", text: text, timestamp: cri.timestamp,
                          line: number, final: !cri.partial, envelope: .cri, emit: emit)
            return
        }
        var record = Record(message: "", source: source, line: number)
        if let header = TextFormats.syslogHeader(bytes, years: options.years) {
            // A header time with its year wins; a yearless one (RFC 3164 / journal short)
            // yields to a full timestamp in the payload (logrus `time=`), not to klog's.
            if header.timestampHasYear { record.timestamp = header.timestamp }
            record.node = header.host
            record.component = header.program.map(RecordDecoder.componentName)
            record.envelope = header.envelope
            TextFormats.parsePayload(UnsafeRawBufferPointer(rebasing: bytes[header.messageStart...]), years: options.years, into: &record)
            if !header.timestampHasYear, record.format != .logrus || record.timestamp == nil {
                record.timestamp = header.timestamp ?? record.timestamp
            }
            emit(record)
            return
        }
        if decodeTable(bytes, number: number, emit: emit) { return }
        TextFormats.parsePayload(bytes, years: options.years, into: &record)
        emit(record)
    }

    /// `kubectl describe` headers and event rows, `kubectl get events` tables.
    private func decodeTable(_ bytes: UnsafeRawBufferPointer, number: Int, emit: (Record) -> Void) -> Bool {
        guard let first = bytes.first else { return false }
        if first != 0x20 && first != 0x09 {
            // Top-level `Key:  value` lines of describe output.
            if bytes.hasPrefix("Name:") {
                describeName = value(after: 5, in: bytes); describeNamespace = nil; describeNode = nil
                inEventsSection = false; tableHeader = nil
                return emitPlain(bytes, number: number, emit: emit)
            }
            if bytes.hasPrefix("Namespace:") {
                describeNamespace = value(after: 10, in: bytes); return emitPlain(bytes, number: number, emit: emit)
            }
            if bytes.hasPrefix("Node:") {
                describeNode = value(after: 5, in: bytes).map { v in v.split(separator: "/").first.map(String.init) ?? v }
                return emitPlain(bytes, number: number, emit: emit)
            }
            if bytes.hasPrefix("Events:") { inEventsSection = true; tableHeader = nil; return emitPlain(bytes, number: number, emit: emit) }
        }
        if let header = EventTables.header(bytes) {
            tableHeader = header
            if case .getEvents = header { describeName = nil; describeNamespace = nil; describeNode = nil; inEventsSection = false }
            return emitPlain(bytes, number: number, emit: emit)
        }
        guard let row = EventTables.row(bytes, header: tableHeader) else {
            if tableHeader != nil, !bytes.trimmed.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == 0x20 || $0 == 0x09 }) {
                if first != 0x20 && first != 0x09 { tableHeader = nil; inEventsSection = false }
            }
            // The pod's own sections (container state `Reason: ImagePullBackOff`, …) belong
            // to the pod the header named.
            if describeName != nil, !inEventsSection, tableHeader == nil, first == 0x20 || first == 0x09 {
                var r = Record(message: bytes.string, format: .plain, source: source, line: number)
                r.pod = describeName; r.namespace = describeNamespace; r.node = describeNode
                emit(r)
                return true
            }
            return false
        }
        let isDescribe: Bool
        switch tableHeader {
        case .describe?, .describeLegacy?: isDescribe = true
        case .getEvents?: isDescribe = false
        case nil: isDescribe = inEventsSection || row.objectName == nil
        }
        var r = Record(message: row.message, format: isDescribe ? .describe : .eventTable, source: source, line: number)
        r.component = "event"
        r.level = row.type
        r.node = row.node ?? (isDescribe ? describeNode : nil)
        if isDescribe {
            r.namespace = describeNamespace
            r.pod = describeName
        } else {
            r.namespace = row.namespace
            if row.objectKind?.lowercased() == "pod" { r.pod = row.objectName }
        }
        r.event = EventInfo(count: row.count, reason: row.reason, type: row.type,
                            objectKind: isDescribe ? "Pod" : row.objectKind, objectName: isDescribe ? describeName : row.objectName)
        emit(r)
        return true
    }

    private func value(after prefix: Int, in bytes: UnsafeRawBufferPointer) -> String? {
        let v = UnsafeRawBufferPointer(rebasing: bytes[prefix...]).trimmed.string
        return v.isEmpty || v == "<none>" ? nil : v
    }

    private func emitPlain(_ bytes: UnsafeRawBufferPointer, number: Int, emit: (Record) -> Void) -> Bool {
        emit(Record(message: bytes.string, format: .plain, source: source, line: number))
        return true
    }

    // MARK: partial lines (CRI P/F, Docker 16 KiB fragments)

    private func appendPartial(stream: String, text: UnsafeRawBufferPointer, timestamp: Timestamp?, line: Int,
                               final: Bool, envelope: Envelope, emit: (Record) -> Void) {
        var p = partials.removeValue(forKey: stream) ?? Partial(text: [], timestamp: timestamp, line: line, cut: false)
        let room = options.maxLineBytes.bytes - p.text.count
        if text.count > room {
            p.text.append(contentsOf: text.prefix(max(room, 0)))
            p.cut = true
        } else {
            p.text.append(contentsOf: text)
        }
        partialFormat = envelope
        if final {
            emitPartial(p, emit: emit)
        } else {
            partials[stream] = p
        }
    }

    private func emitPartial(_ p: Partial, emit: (Record) -> Void) {
        if p.cut {
            errors.append(InputError(source: source, line: p.line,
                                     message: "joined line longer than \(options.maxLineBytes.bytes) bytes; the rest was skipped"))
        }
        var r = Record(message: "", source: source, line: p.line)
        r.timestamp = p.timestamp
        r.envelope = partialFormat
        r.namespace = pathMetadata.namespace
        r.pod = pathMetadata.pod
        r.container = pathMetadata.container
        p.text.withUnsafeBytes { TextFormats.parsePayload($0, years: options.years, into: &r) }
        // The payload's own time (klog/logrus) must not replace the runtime's full timestamp.
        if p.timestamp != nil { r.timestamp = p.timestamp }
        emit(r)
    }

    // MARK: JSON values

    /// Starts a JSON value at the beginning of a line. Returns false when the line is not
    /// JSON after all (then it is decoded as text).
    private func startJSON(_ bytes: UnsafeRawBufferPointer, number: Int, emit: (Record) -> Void) -> Bool {
        // Most JSON input is one value per line (NDJSON, journal JSON): checked and indexed in
        // one pass. Anything else (a value over several lines, several on a line, not JSON)
        // goes through the scanner below, which frames it first.
        if let value = JSONValue.parse(Array(bytes)) {
            jsonStartLine = number
            emitJSONValue(value, text: bytes.trimmed, emit: emit)
            return true
        }
        // A value and then text on the same line (a dmesg time `[ 1439.29] [talos] …`) is text.
        if RecordDecoder.valueThenText(bytes) { return false }
        json = JSONScanner()
        jsonBuffer.removeAll(keepingCapacity: true)
        jsonLines.removeAll()
        jsonStartLine = number
        json.active = true
        continueJSON(bytes, number: number, emit: emit)
        return true
    }

    /// Whether `bytes` starts with one or more complete JSON values that something other than a
    /// value follows on the same line: the line is text that happens to begin with brackets.
    static func valueThenText(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var scanner = JSONScanner()
        var completed = false
        for b in bytes {
            if scanner.depth == 0 && !scanner.inString {
                if b == 0x20 || b == 0x09 || b == 0x0D { continue }
                if b != UInt8(ascii: "{") && b != UInt8(ascii: "[") { return completed }
            }
            switch scanner.feed(b) {
            case .more: break
            case .invalid: return completed
            case .complete: completed = true
            }
        }
        return false
    }

    private func continueJSON(_ bytes: UnsafeRawBufferPointer, number: Int, emit: (Record) -> Void) {
        jsonLines.append((number, Array(bytes)))
        var valueStart = 0
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if json.depth == 0 && !json.inString {
                if b == 0x20 || b == 0x09 || b == 0x0D { i += 1; valueStart = i; continue }
                guard b == UInt8(ascii: "{") || b == UInt8(ascii: "[") else { abandonJSON(emit: emit); return }
            }
            switch json.feed(b) {
            case .more: break
            case .invalid:
                abandonJSON(emit: emit)
                return
            case .complete:
                jsonBuffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[valueStart...i]))
                finishJSONValue(emit: emit)
                valueStart = i + 1
                jsonStartLine = number
                jsonLines = [(number, Array(bytes))]
            }
            i += 1
        }
        if json.depth == 0 && !json.inString {
            // Only whitespace followed the last value: the line is done, no value pending.
            json.active = false
            jsonLines.removeAll()
            return
        }
        if json.inString {
            // JSON strings never span lines: this is not JSON (or a cut line).
            abandonJSON(emit: emit)
            return
        }
        jsonBuffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[min(valueStart, bytes.count)...]))
        jsonBuffer.append(0x0A)
        if jsonBuffer.count > options.maxJSONValueBytes {
            errors.append(InputError(source: source, line: jsonStartLine,
                                     message: "JSON value larger than \(options.maxJSONValueBytes) bytes; skipped"))
            skippedValues += 1
            json = JSONScanner()
            jsonBuffer.removeAll()
            jsonLines.removeAll()
            skippingOversizedValue = true
        }
    }
    private var skippingOversizedValue = false

    private func finishJSONValue(emit: (Record) -> Void) {
        defer { jsonBuffer.removeAll(keepingCapacity: jsonBuffer.capacity <= 1 << 20) }
        guard let value = JSONValue.parse(jsonBuffer) else {
            errors.append(InputError(source: source, line: jsonStartLine,
                                     message: "malformed JSON value (\(jsonBuffer.count) bytes); skipped"))
            skippedValues += 1
            malformedJSON += 1
            return
        }
        jsonBuffer.withUnsafeBytes { emitJSONValue(value, text: $0, emit: emit) }
    }

    /// The records of a JSON value (`text`: its bytes) starting at `jsonStartLine`.
    private func emitJSONValue(_ value: JSONValue, text: UnsafeRawBufferPointer, emit: (Record) -> Void) {
        switch JSONRecords.decode(value, source: source, line: jsonStartLine, years: options.years, keys: options.keys) {
        case .records(let records):
            if records.isEmpty {
                // A JSON value with nothing we know: keep it as text rather than lose it.
                emit(Record(message: String(decoding: text, as: UTF8.self), format: .plain, source: source, line: jsonStartLine))
            }
            for var r in records {
                if r.namespace == nil { r.namespace = pathMetadata.namespace }
                if r.pod == nil { r.pod = pathMetadata.pod }
                emit(r)
            }
        case .dockerPartial(let stream, let text, let t):
            text.withBytes {
                appendPartial(stream: stream, text: $0, timestamp: t, line: jsonStartLine, final: false, envelope: .dockerJSON, emit: emit)
            }
        case .dockerLine(let stream, let text, let t):
            text.withBytes {
                appendPartial(stream: stream, text: $0, timestamp: t, line: jsonStartLine, final: true, envelope: .dockerJSON, emit: emit)
            }
        }
    }

    /// The lines gathered for a JSON value were not JSON: decode each as text instead.
    /// Lines that began like a JSON object (`{"`) were meant to be JSON: that is reported.
    private func abandonJSON(reason: String? = nil, emit: (Record) -> Void) {
        let lines = jsonLines
        if let first = lines.first {
            let looksLikeObject = first.bytes.withUnsafeBytes { $0.trimmed.hasPrefix("{\"") }
            if let reason {
                errors.append(InputError(source: source, line: first.number, message: reason))
                malformedJSON += 1
            } else if looksLikeObject && !skippingOversizedValue {
                errors.append(InputError(source: source, line: first.number, message: "malformed JSON value; read as text"))
                malformedJSON += 1
            }
        }
        json = JSONScanner()
        jsonBuffer.removeAll(keepingCapacity: true)
        jsonLines.removeAll()
        if skippingOversizedValue { skippingOversizedValue = false; return }
        for (number, bytes) in lines {
            bytes.withUnsafeBytes { decodeText($0, number: number, emit: emit) }
        }
    }

    // MARK: names

    /// Normalizes a program / unit name into a component (`crio`, `containerd`, `kubelet`, …).
    public static func componentName(_ program: String) -> String {
        var p = program.lowercased()
        if p.hasSuffix(".service") { p.removeLast(8) }
        switch p {
        case "cri-o": return "crio"
        case "hyperkube": return "kubelet"
        default: return p
        }
    }

    /// Namespace, pod and container from CRI log paths:
    /// `/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log` and
    /// `/var/log/containers/<pod>_<ns>_<container>-<id>.log`.
    static func criPathMetadata(_ path: String) -> (namespace: String?, pod: String?, container: String?) {
        let parts = path.split(separator: "/")
        if let i = parts.lastIndex(of: "pods"), i + 2 < parts.count {
            let podDir = parts[i + 1].split(separator: "_")
            if podDir.count == 3 { return (String(podDir[0]), String(podDir[1]), String(parts[i + 2])) }
        }
        if parts.count >= 2, parts[parts.count - 2] == "containers", parts.last!.hasSuffix(".log") {
            let name = parts.last!.dropLast(4).split(separator: "_")
            if name.count == 3, let dash = name[2].lastIndex(of: "-") {
                return (String(name[1]), String(name[0]), String(name[2][..<dash]))
            }
        }
        return (nil, nil, nil)
    }
}

/// Tracks JSON structure byte by byte (depth, strings, escapes) to find where a value ends,
/// and rejects bytes that cannot appear outside strings (so text is not mistaken for JSON).
struct JSONScanner {
    var active = false
    var depth = 0
    var inString = false
    var escaped = false

    enum Step { case more, complete, invalid }

    mutating func feed(_ b: UInt8) -> Step {
        if inString {
            if escaped {
                escaped = false
            } else if b == UInt8(ascii: "\\") {
                escaped = true
            } else if b == UInt8(ascii: "\"") {
                inString = false
            }
            return .more
        }
        switch b {
        case UInt8(ascii: "\""): inString = true
        case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if depth == 0 { return .complete }
            if depth < 0 { return .invalid }
        case 0x20, 0x09, 0x0D, 0x0A, UInt8(ascii: ","), UInt8(ascii: ":"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
             UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"),
             UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "n"):
            break
        default:
            return .invalid
        }
        return .more
    }
}
