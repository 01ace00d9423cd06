/// A parsed JSON value, read straight from bytes: the records' JSON (journal entries, shipper
/// batches, Events) becomes Swift strings and arrays without Foundation's boxing.
/// `JSONValue.parse` accepts exactly what `JSONValidation.isValid` accepts.
public enum JSONValue: Equatable, Sendable {
    /// Members in the order written; a key written twice is found at its last place.
    case object([Member])
    case array([JSONValue])
    case string(String)
    /// A number as written (`1795341600.25`, `-3`, `1e3`).
    case number(String)
    case bool(Bool)
    case null

    public struct Member: Equatable, Sendable {
        public var key: String
        public var value: JSONValue
        public init(key: String, value: JSONValue) { self.key = key; self.value = value }
    }

    /// One JSON text (a value with optional whitespace around it), or nil when `bytes` is not
    /// exactly that (RFC 8259; UTF-8 checked; nesting at most 256 deep).
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> JSONValue? {
        guard JSONValidation.isValid(bytes) else { return nil }
        var builder = Builder(b: bytes)
        builder.skipSpace()
        return builder.value()
    }

    public static func parse(_ bytes: [UInt8]) -> JSONValue? {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// The member `key` of an object (the last one written), else nil.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for m in members.reversed() where m.key == key { return m.value }
        return nil
    }

    /// The value at a path of object keys.
    public subscript(path: [String]) -> JSONValue? {
        var current: JSONValue? = self
        for k in path { current = current?[k] }
        return current
    }

    public var object: [Member]? { if case .object(let m) = self { return m }; return nil }
    public var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var isObject: Bool { if case .object = self { return true }; return false }

    /// A string as is; nil for anything else.
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }

    /// A non-empty string, or a number as written: the text of a field.
    public var text: String? {
        switch self {
        case .string(let s): return s.isEmpty ? nil : s
        case .number(let n): return n
        default: return nil
        }
    }

    /// An integer from a number (its integral part) or a string of digits.
    public var int: Int? {
        switch self {
        case .number(let n): return Int(n) ?? Double(n).flatMap { $0.isFinite && abs($0) < 9e18 ? Int($0) : nil }
        case .string(let s): return Int(s)
        default: return nil
        }
    }

    public var double: Double? {
        if case .number(let n) = self { return Double(n) }
        return nil
    }

    /// Builds the tree of a text `JSONValidation.isValid` accepted, so it checks nothing.
    private struct Builder {
        let b: UnsafeRawBufferPointer
        var i = 0

        mutating func skipSpace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        mutating func value() -> JSONValue {
            switch b[i] {
            case UInt8(ascii: "{"):
                i += 1
                var members: [Member] = []
                skipSpace()
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                while true {
                    skipSpace()
                    let key = string()
                    skipSpace()
                    i += 1  // ':'
                    skipSpace()
                    members.append(Member(key: key, value: value()))
                    skipSpace()
                    let c = b[i]
                    i += 1
                    if c == UInt8(ascii: "}") { return .object(members) }
                }
            case UInt8(ascii: "["):
                i += 1
                var elements: [JSONValue] = []
                skipSpace()
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(elements) }
                while true {
                    skipSpace()
                    elements.append(value())
                    skipSpace()
                    let c = b[i]
                    i += 1
                    if c == UInt8(ascii: "]") { return .array(elements) }
                }
            case UInt8(ascii: "\""):
                return .string(string())
            case UInt8(ascii: "t"): i += 4; return .bool(true)
            case UInt8(ascii: "f"): i += 5; return .bool(false)
            case UInt8(ascii: "n"): i += 4; return .null
            default:
                let start = i
                while i < b.count, Self.isNumberByte(b[i]) { i += 1 }
                return .number(String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
            }
        }

        static func isNumberByte(_ c: UInt8) -> Bool {
            (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
        }

        /// A string from its opening quote. Without escapes the bytes are the string (their
        /// UTF-8 was checked); with them, unescaped (a lone surrogate becomes U+FFFD).
        mutating func string() -> String {
            i += 1
            let start = i
            while b[i] != UInt8(ascii: "\"") && b[i] != UInt8(ascii: "\\") { i += 1 }
            if b[i] == UInt8(ascii: "\"") {
                defer { i += 1 }
                return String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
            }
            var out = Array(UnsafeRawBufferPointer(rebasing: b[start..<i]))
            while b[i] != UInt8(ascii: "\"") {
                guard b[i] == UInt8(ascii: "\\") else { out.append(b[i]); i += 1; continue }
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
                    if (0xD800..<0xDC00).contains(scalar), i + 5 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
                        let save = i
                        i += 2
                        let low = hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            i = save
                        }
                    }
                    let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    out.append(contentsOf: UTF8.encode(u)!)
                default: out.append(e)  // '"', '\\', '/'
                }
            }
            i += 1
            return String(decoding: out, as: UTF8.self)
        }

        mutating func hex4() -> UInt32 {
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = b[i] | 0x20
                v = v << 4 + UInt32(c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : c - UInt8(ascii: "a") + 10)
                i += 1
            }
            return v
        }
    }
}
