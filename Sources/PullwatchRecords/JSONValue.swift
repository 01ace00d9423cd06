/// A parsed JSON value, read straight from bytes: the records' JSON (journal entries, shipper
/// batches, Events) is checked and indexed in one pass (`JSONValidation`'s validator writes a
/// tape of nodes, as simdjson does), and only the strings a record uses become Swift strings.
/// `JSONValue.parse` accepts exactly what `JSONValidation.isValid` accepts.
public struct JSONValue: Sendable {
    public enum Kind: UInt8, Sendable { case object, array, string, number, `true`, `false`, null }

    /// One value on the tape. A container's members follow it (an object's as key, value,
    /// key, value…); `next` is the index after its whole subtree.
    struct Node: Sendable {
        var kind: Kind
        /// A string with escapes: its bytes are not its text.
        var escaped: Bool
        /// The value's bytes (a string's with its quotes).
        var start: Int
        var end: Int
        var next: Int
    }

    final class Document: Sendable {
        let bytes: [UInt8]
        let nodes: [Node]
        init(bytes: [UInt8], nodes: [Node]) { self.bytes = bytes; self.nodes = nodes }
    }

    let document: Document
    let index: Int

    /// One JSON text (a value with optional whitespace around it), or nil when `bytes` is not
    /// exactly that (RFC 8259; UTF-8 checked; nesting at most 256 deep).
    public static func parse(_ bytes: [UInt8]) -> JSONValue? {
        guard let nodes = bytes.withUnsafeBytes({ JSONValidation.tape($0) }) else { return nil }
        return JSONValue(document: Document(bytes: bytes, nodes: nodes), index: 0)
    }

    var node: Node { document.nodes[index] }
    public var kind: Kind { node.kind }
    public var isObject: Bool { kind == .object }

    /// The members of an object in the order written, else nil.
    public var members: [(key: String, value: JSONValue)]? {
        guard kind == .object else { return nil }
        var out: [(key: String, value: JSONValue)] = []
        var i = index + 1
        while i < node.next {
            out.append((JSONValue(document: document, index: i).decodedString(), JSONValue(document: document, index: i + 1)))
            i = document.nodes[i + 1].next
        }
        return out
    }

    /// The elements of an array, else nil.
    public var array: [JSONValue]? {
        guard kind == .array else { return nil }
        var out: [JSONValue] = []
        var i = index + 1
        while i < node.next {
            out.append(JSONValue(document: document, index: i))
            i = document.nodes[i].next
        }
        return out
    }

    /// The member `key` of an object (the last one written), else nil. Keys are compared as
    /// bytes; an escaped key is decoded first.
    public subscript(key: String) -> JSONValue? {
        guard kind == .object else { return nil }
        var found: Int?
        var key = key
        key.withUTF8 { want in
            document.bytes.withUnsafeBufferPointer { b in
                let nodes = document.nodes
                var i = index + 1
                let end = nodes[index].next
                while i < end {
                    let k = nodes[i]
                    if k.escaped {
                        if JSONValue(document: document, index: i).decodedString().utf8.elementsEqual(want) { found = i + 1 }
                    } else if k.end - k.start - 2 == want.count,
                              UnsafeBufferPointer(rebasing: b[(k.start + 1)..<(k.end - 1)]).elementsEqual(want) {
                        found = i + 1
                    }
                    i = nodes[i + 1].next
                }
            }
        }
        return found.map { JSONValue(document: document, index: $0) }
    }

    /// The value at a path of object keys.
    public subscript(path: [String]) -> JSONValue? {
        var current: JSONValue? = self
        for k in path { current = current?[k] }
        return current
    }

    /// A string's text; nil for anything else.
    public var stringValue: String? { kind == .string ? decodedString() : nil }

    /// A number as written (`1795341600.25`, `-3`, `1e3`); nil for anything else.
    public var numberText: String? {
        guard kind == .number else { return nil }
        let n = node
        return String(decoding: document.bytes[n.start..<n.end], as: UTF8.self)
    }

    public var bool: Bool? { kind == .true ? true : kind == .false ? false : nil }

    /// A non-empty string, or a number as written: the text of a field.
    public var text: String? {
        switch kind {
        case .string: let s = decodedString(); return s.isEmpty ? nil : s
        case .number: return numberText
        default: return nil
        }
    }

    /// An integer from a number (its integral part) or a string of digits.
    public var int: Int? {
        switch kind {
        case .number:
            let n = numberText!
            return Int(n) ?? Double(n).flatMap { $0.isFinite && abs($0) < 9e18 ? Int($0) : nil }
        case .string: return Int(decodedString())
        default: return nil
        }
    }

    public var double: Double? { numberText.flatMap(Double.init) }

    /// A string node's text. Without escapes its bytes are the text (their UTF-8 was checked);
    /// with them, unescaped (a lone surrogate becomes U+FFFD).
    func decodedString() -> String {
        let n = node
        let b = document.bytes
        guard n.escaped else { return String(decoding: b[(n.start + 1)..<(n.end - 1)], as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(n.end - n.start)
        var i = n.start + 1
        func hex4() -> UInt32 {
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = b[i] | 0x20
                v = v << 4 + UInt32(c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : c - UInt8(ascii: "a") + 10)
                i += 1
            }
            return v
        }
        while i < n.end - 1 {
            guard b[i] == UInt8(ascii: "\\") else {
                // The run up to the next escape, at once.
                let run = i
                while i < n.end - 1, b[i] != UInt8(ascii: "\\") { i += 1 }
                out.append(contentsOf: b[run..<i])
                continue
            }
            let e = b[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4()
                if (0xD800..<0xDC00).contains(scalar), i + 5 < n.end, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
                    let save = i
                    i += 2
                    let low = hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        i = save
                    }
                }
                out.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar) ?? "\u{FFFD}")!)
            default: out.append(e)  // '"', '\\', '/'
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
