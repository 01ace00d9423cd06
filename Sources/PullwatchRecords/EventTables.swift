/// Rows of `kubectl describe pod` Events sections and of `kubectl get events` tables.
///
/// kubectl aligns columns with a tabwriter, so cells are separated by two or more spaces
/// (or tabs in pre-1.10 output); single spaces stay inside a cell (`2m (x4 over 10m)`,
/// `kubelet, node-1`). The message is everything from its cell to the end of the line, so
/// double spaces inside a message are kept.
public enum EventTables {
    /// A cell: its text and where it starts in the line.
    struct Cell { var text: String; var start: Int }

    static func cells(_ line: UnsafeRawBufferPointer) -> [Cell] {
        var out: [Cell] = []
        var i = 0
        let n = line.count
        while i < n {
            while i < n, line[i] == 0x20 || line[i] == 0x09 { i += 1 }
            guard i < n else { break }
            let start = i
            while i < n {
                if line[i] == 0x09 { break }
                if line[i] == 0x20, i + 1 < n, line[i + 1] == 0x20 || line[i + 1] == 0x09 { break }
                if line[i] == 0x20, i + 1 == n { break }
                i += 1
            }
            out.append(Cell(text: UnsafeRawBufferPointer(rebasing: line[start..<i]).string, start: start))
        }
        return out
    }

    /// Which table a header line starts, if any.
    public enum Header: Sendable, Equatable {
        /// `Type Reason Age From Message` (describe, 1.10+).
        case describe
        /// `FirstSeen LastSeen Count From SubObjectPath Type Reason Message` (describe, old).
        case describeLegacy
        /// `[NAMESPACE] LAST SEEN TYPE REASON OBJECT MESSAGE` (get events, 1.14+; also with SOURCE etc.).
        case getEvents(columns: [String])
    }

    /// Recognises a table header line.
    public static func header(_ line: UnsafeRawBufferPointer) -> Header? {
        let cs = cells(line).map { $0.text.uppercased() }
        guard cs.last == "MESSAGE" else { return nil }
        if cs == ["TYPE", "REASON", "AGE", "FROM", "MESSAGE"] { return .describe }
        if cs.first == "FIRSTSEEN", cs.contains("REASON") { return .describeLegacy }
        if cs.contains("REASON"), cs.contains("LAST SEEN") || cs.contains("LASTSEEN") { return .getEvents(columns: cs) }
        return nil
    }

    /// A parsed row.
    public struct Row: Sendable, Equatable {
        /// Normal or Warning.
        public var type: String
        /// Reason (Failed, BackOff, …).
        public var reason: String
        /// The message text.
        public var message: String
        /// Node named in the From/Source column (`kubelet, node-1` or `{kubelet node-1}`).
        public var node: String?
        /// Namespace column (get events -A).
        public var namespace: String?
        /// Object column (`pod/name`), split.
        public var objectKind: String?
        /// Object name.
        public var objectName: String?
        /// Occurrences (`(x4 over 2m)` or the COUNT column); 1 when not shown.
        public var count: Int
    }

    /// Parses a row, using `header` when the table's header was seen, else by shape.
    public static func row(_ line: UnsafeRawBufferPointer, header: Header?) -> Row? {
        let cs = cells(line)
        guard let ti = cs.firstIndex(where: { $0.text == "Normal" || $0.text == "Warning" }),
              ti + 2 < cs.count else { return nil }
        func rest(from index: Int) -> String {
            UnsafeRawBufferPointer(rebasing: line[cs[index].start...]).string
        }
        var row = Row(type: cs[ti].text, reason: cs[ti + 1].text, message: "", count: 1)
        switch header {
        case .getEvents(let columns)?:
            // Columns after TYPE are found relative to the TYPE cell, so an empty cell before
            // it (SUBOBJECT in old `get events` output) does not shift them; columns before
            // TYPE are used only when nothing was empty.
            guard let typeCol = columns.firstIndex(of: "TYPE"), let msgCol = columns.firstIndex(of: "MESSAGE"),
                  msgCol > typeCol, ti + (msgCol - typeCol) < cs.count else { return nil }
            func cell(_ name: String) -> String? {
                guard let col = columns.firstIndex(of: name) else { return nil }
                if col > typeCol { return ti + (col - typeCol) < cs.count ? cs[ti + (col - typeCol)].text : nil }
                return typeCol == ti ? cs[col].text : nil
            }
            row.message = rest(from: ti + (msgCol - typeCol))
            row.namespace = cell("NAMESPACE")
            if let object = cell("OBJECT") { splitObject(object, into: &row) }
            if let name = cell("NAME"), let kind = cell("KIND") { row.objectName = name; row.objectKind = kind }
            if let source = cell("SOURCE") { row.node = nodeFromSource(source) }
            if let count = cell("COUNT").flatMap({ Int($0) }) { row.count = count }
            return row
        case .describeLegacy?, .describe?, nil:
            break
        }
        if header == .describeLegacy || cs.contains(where: { $0.text.hasPrefix("{") && $0.text.hasSuffix("}") }) {
            // 18m  2m  8  {kubelet host}  spec.containers{web}  Normal  Pulling  message
            if let src = cs.first(where: { $0.text.hasPrefix("{") && $0.text.hasSuffix("}") }) {
                row.node = nodeFromSource(src.text)
            }
            if cs.count > 2, let n = Int(cs[2].text), ti >= 3 { row.count = n }
            row.message = rest(from: ti + 2)
            return row
        }
        if ti == 0 && (header == .describe || cs.count >= 5) {
            // Type Reason Age From Message
            guard cs.count >= 5 else {
                // A row whose From column is empty (rare) has only four cells.
                row.message = rest(from: cs.count - 1)
                return row
            }
            row.count = occurrences(inAge: cs[2].text)
            row.node = nodeFromSource(cs[3].text)
            row.message = rest(from: 4)
            return row
        }
        // get events without a header: [NAMESPACE] LAST-SEEN TYPE REASON OBJECT MESSAGE
        guard ti >= 1, ti + 3 < cs.count, cs[ti + 2].text.contains("/") else { return nil }
        if ti == 2 { row.namespace = cs[0].text }
        splitObject(cs[ti + 2].text, into: &row)
        row.message = rest(from: ti + 3)
        return row
    }

    static func splitObject(_ text: String, into row: inout Row) {
        if let slash = text.firstIndex(of: "/") {
            row.objectKind = String(text[..<slash])
            row.objectName = String(text[text.index(after: slash)...])
        } else {
            row.objectName = text
        }
    }

    /// `kubelet, node-1` → node-1; `{kubelet node-1}` → node-1; `kubelet` → nil.
    static func nodeFromSource(_ text: String) -> String? {
        var t = Substring(text)
        if t.hasPrefix("{") && t.hasSuffix("}") {
            t = t.dropFirst().dropLast()
            let parts = t.split(separator: " ")
            return parts.count >= 2 ? String(parts[1]) : nil
        }
        if let comma = t.firstIndex(of: ",") {
            let host = t[t.index(after: comma)...].trimmingSpaces()
            return host.isEmpty ? nil : host
        }
        return nil
    }

    /// `2m (x4 over 10m)` → 4; anything else → 1.
    static func occurrences(inAge age: String) -> Int {
        guard let x = age.range(of: "(x") else { return 1 }
        let digits = age[x.upperBound...].prefix { $0.isNumber }
        return Int(digits) ?? 1
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
