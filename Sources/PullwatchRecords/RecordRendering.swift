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
        // On the UTF-8 bytes: every byte ≥ 0x80 belongs to a multi-byte scalar and is copied
        // as it is; only ASCII controls, DEL, `"` and `\` are escaped.
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(b)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20, 0x7F:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }
    private static let hex = Array("0123456789abcdef".utf8)
}
