import Foundation

/// Human and machine renderings of a single record (for `pullwatch records` and tests).
public enum RecordRendering {
    /// `2025-11-22T10:00:00.123Z node-1 kubelet kubelet [ns/pod] message`
    public static func text(_ r: Record) -> String {
        var parts: [String] = []
        parts.append(r.timestamp?.description ?? "-")
        parts.append(r.node ?? "-")
        parts.append(r.component ?? "-")
        parts.append(r.format.rawValue)
        if let pod = r.pod { parts.append("[\(r.namespace.map { $0 + "/" } ?? "")\(pod)]") }
        if let n = r.event?.count, n > 1 { parts.append("(x\(n))") }
        parts.append(r.message)
        return parts.joined(separator: " ")
    }

    /// One JSON object with every field (null when absent), keys in a stable order.
    public static func json(_ r: Record) -> String {
        func q(_ s: String?) -> String { s.map(jsonString) ?? "null" }
        var s = "{"
        s += "\"time\":\(q(r.timestamp?.description)),\"node\":\(q(r.node)),\"component\":\(q(r.component))"
        s += ",\"namespace\":\(q(r.namespace)),\"pod\":\(q(r.pod)),\"container\":\(q(r.container))"
        s += ",\"level\":\(q(r.level)),\"format\":\(q(r.format.rawValue)),\"envelope\":\(q(r.envelope?.rawValue))"
        if let e = r.event {
            s += ",\"event\":{\"name\":\(q(e.name)),\"count\":\(e.count),\"reason\":\(q(e.reason)),"
                + "\"type\":\(q(e.type)),\"object\":\(q(e.objectName))}"
        } else {
            s += ",\"event\":null"
        }
        s += ",\"source\":\(q(r.source)),\"line\":\(r.line),\"message\":\(q(r.message))}"
        return s
    }

    /// A JSON string literal (escapes quotes, backslashes and control bytes).
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
