/// Undoing Go's `%q` / `strconv.Quote` escaping, as klog and logrus write it.
public enum GoQuoting {
    /// Reads a double-quoted Go string at the cursor (which must be at the opening quote)
    /// and returns its unescaped bytes; the cursor ends after the closing quote. An
    /// unterminated string yields everything up to the end of the line.
    public static func readQuoted(_ c: inout ByteCursor) -> [UInt8] {
        precondition(c.peek == UInt8(ascii: "\""))
        c.index += 1
        var out: [UInt8] = []
        out.reserveCapacity(min(c.bytes.count - c.index, 256))
        let bytes = c.bytes
        while c.index < bytes.count {
            // The run up to the next quote or escape, at once.
            let run = c.index
            while c.index < bytes.count, bytes[c.index] != UInt8(ascii: "\""), bytes[c.index] != UInt8(ascii: "\\") { c.index += 1 }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[run..<c.index]))
            guard c.index < bytes.count else { break }
            let b = bytes[c.index]
            c.index += 1
            if b == UInt8(ascii: "\"") { return out }
            unescape(&c, into: &out)
        }
        return out
    }

    /// Decodes one escape sequence (the cursor is past the backslash).
    static func unescape(_ c: inout ByteCursor, into out: inout [UInt8]) {
        guard let e = c.peek else { out.append(UInt8(ascii: "\\")); return }
        c.index += 1
        switch e {
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "a"): out.append(0x07)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "v"): out.append(0x0B)
        case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "x"):
            if let v = hex(&c, digits: 2) { out.append(UInt8(v)) } else { out.append(contentsOf: [0x5C, e]) }
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            if let v = hex(&c, digits: e == UInt8(ascii: "u") ? 4 : 8), let scalar = Unicode.Scalar(v) {
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            } else { out.append(contentsOf: [0x5C, e]) }
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            var v = UInt32(e - 0x30)
            var n = 1
            while n < 3, let d = c.peek, d >= 0x30, d <= 0x37 { v = v * 8 + UInt32(d - 0x30); c.index += 1; n += 1 }
            out.append(UInt8(truncatingIfNeeded: v))
        default:
            out.append(contentsOf: [0x5C, e])
        }
    }

    static func hex(_ c: inout ByteCursor, digits: Int) -> UInt32? {
        let start = c.index
        var v: UInt32 = 0
        for _ in 0..<digits {
            guard let b = c.peek else { c.index = start; return nil }
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x61...0x66: d = b - 0x61 + 10
            case 0x41...0x46: d = b - 0x41 + 10
            default: c.index = start; return nil
            }
            v = v << 4 | UInt32(d)
            c.index += 1
        }
        return v
    }

    /// Removes nested quoting levels from an already unquoted value.
    ///
    /// kubelet wraps a runtime error (already `%q`-quoted inside) into `err="…"`, so after one
    /// unquote image names still read `\"img\"`; `Error syncing pod` nests once more
    /// (`\\\"img\\\"` in the raw line). Each pass undoes one level while escaped quotes
    /// remain (at most 4 passes).
    public static func unnest(_ bytes: [UInt8]) -> [UInt8] {
        var current = bytes
        for _ in 0..<4 {
            guard containsEscapedQuote(current) else { break }
            var out: [UInt8] = []
            out.reserveCapacity(current.count)
            current.withUnsafeBytes { raw in
                var c = ByteCursor(raw)
                while let b = c.peek {
                    c.index += 1
                    if b == UInt8(ascii: "\\") { unescape(&c, into: &out) } else { out.append(b) }
                }
            }
            current = out
        }
        return current
    }

    static func containsEscapedQuote(_ b: [UInt8]) -> Bool {
        var i = 0
        while i + 1 < b.count {
            if b[i] == UInt8(ascii: "\\") && b[i + 1] == UInt8(ascii: "\"") { return true }
            i += 1
        }
        return false
    }
}

/// A `key=value` pair from a structured log line (klog, logrus), value unquoted.
public struct Field: Sendable, Hashable {
    /// The key as written.
    public var key: String
    /// The value with quoting undone.
    public var value: String

    /// A field.
    public init(_ key: String, _ value: String) { self.key = key; self.value = value }
}

/// logfmt-style `key=value key2="quoted value"` sequences.
public enum Logfmt {
    /// Parses pairs from the cursor to the end of the line. A token without `=` ends parsing
    /// (the rest is returned as `trailing`).
    public static func fields(_ c: inout ByteCursor) -> (fields: [Field], trailing: String?) {
        var fields: [Field] = []
        while true {
            c.skipBlanks()
            guard !c.atEnd else { break }
            let keyStart = c.index
            while let b = c.peek, isKeyByte(b) { c.index += 1 }
            guard c.index > keyStart, c.peek == UInt8(ascii: "=") else {
                c.index = keyStart
                return (fields, c.rest.string)
            }
            let key = UnsafeRawBufferPointer(rebasing: c.bytes[keyStart..<c.index]).string
            c.index += 1
            let value: String
            if c.peek == UInt8(ascii: "\"") {
                value = String(decoding: GoQuoting.unnest(GoQuoting.readQuoted(&c)), as: UTF8.self)
            } else {
                value = c.word().string
            }
            fields.append(Field(key, value))
        }
        return (fields, nil)
    }

    @inlinable static func isKeyByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
            || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
    }
}
