import PullwatchIO

/// Byte-level JSON checks for the paths that skip a JSON line without parsing it: a line may
/// only be skipped when it is certainly one whole, valid JSON value (so a malformed line still
/// reaches the parser and is counted) and when the gate's literals would be visible in it.
public enum JSONValidation {
    /// Whether `bytes` is exactly one JSON text (RFC 8259: one value with optional whitespace
    /// around it; strings hold valid UTF-8 and no raw control characters), nested at most
    /// `maxDepth` deep. Builds nothing and allocates nothing.
    public static func isValid(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 256) -> Bool {
        withUnsafeTemporaryAllocation(of: Bool.self, capacity: maxDepth) { stack in
            var v = Validator(b: bytes, stack: stack)
            return v.run()
        }
    }

    /// The tape of `bytes` (`JSONValue`) if they are exactly one JSON text, as `isValid` decides.
    static func tape(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 256) -> [JSONValue.Node]? {
        withUnsafeTemporaryAllocation(of: Bool.self, capacity: maxDepth) { stack in
            var v = Validator(b: bytes, stack: stack)
            v.recording = true
            return v.run() ? v.nodes : nil
        }
    }

    /// Whether every text containing `literal` still contains it once written as a JSON
    /// string by any common encoder. Encoders escape `"` and `\` (always), control bytes,
    /// and some also `/`, `<`, `>`, `&`, `'` and non-ASCII: a literal with any of the latter is
    /// not safe; with `"` or `\` it is safe only when its own escaped form still contains it
    /// (`" failed` → `\" failed`). Escaping is per character, so escaped(text) contains
    /// escaped(literal), which then contains the literal.
    public static func survivesEscaping(_ literal: [UInt8]) -> Bool {
        guard let escaped = escaped(literal) else { return false }
        guard escaped.count != literal.count else { return true }
        return escaped.withUnsafeBytes { e in literal.withUnsafeBytes { l in ByteSearch.find(l, in: e) != nil } }
    }

    /// Whether text containing one of `literals` still contains one of them once written as a
    /// JSON string: each literal survives escaping by itself, or its escaped form (`"` → `\"`,
    /// `\` → `\\`) is in the set too, or it is itself the escaped form of one in the set (the
    /// deepest level). `Gate` adds the forms of one and two levels: text quoted once (klog,
    /// logrus fields) inside one JSON wrapper (journal, shipper) is covered.
    public static func setSurvivesEscaping(_ literals: [[UInt8]]) -> Bool {
        let set = Set(literals)
        let escapedForms = Set(literals.compactMap(escaped))
        return literals.allSatisfy { survivesEscaping($0) || escaped($0).map(set.contains) == true || escapedForms.contains($0) }
    }

    /// `literal` with `"` and `\` escaped as a JSON string writes them; nil when it has a byte
    /// some encoders escape and others do not (`/`, `<`, `>`, `&`, `'`, control, non-ASCII).
    public static func escaped(_ literal: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        for b in literal {
            switch b {
            case 0..<0x20, 0x80...0xFF, UInt8(ascii: "/"), UInt8(ascii: "<"), UInt8(ascii: ">"),
                 UInt8(ascii: "&"), UInt8(ascii: "'"):
                return nil
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\")); out.append(b)
            default:
                out.append(b)
            }
        }
        return out
    }

    private struct Validator {
        let b: UnsafeRawBufferPointer
        let stack: UnsafeMutableBufferPointer<Bool>   // true: object, false: array
        var i = 0
        var depth = 0
        /// Whether to write the tape: `nodes`, with `open` the containers not yet closed.
        var recording = false
        var nodes: [JSONValue.Node] = []
        var open: [Int] = []
        var sawEscape = false

        mutating func node(_ kind: JSONValue.Kind, from start: Int) {
            nodes.append(JSONValue.Node(kind: kind, escaped: kind == .string && sawEscape, start: start, end: i, next: nodes.count + 1))
        }

        init(b: UnsafeRawBufferPointer, stack: UnsafeMutableBufferPointer<Bool>) {
            self.b = b
            self.stack = stack
        }

        mutating func skipSpace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        mutating func run() -> Bool {
            skipSpace()
            while true {
                // A value.
                guard i < b.count else { return false }
                let start = i
                switch b[i] {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    let isObject = b[i] == UInt8(ascii: "{")
                    guard depth < stack.count else { return false }
                    stack[depth] = isObject
                    depth += 1
                    i += 1
                    if recording {
                        open.append(nodes.count)
                        node(isObject ? .object : .array, from: start)
                    }
                    skipSpace()
                    if i < b.count, b[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        i += 1
                        depth -= 1
                        if recording { close() }
                    } else {
                        if isObject && !key() { return false }
                        continue
                    }
                case UInt8(ascii: "\""):
                    guard string() else { return false }
                    if recording { node(.string, from: start) }
                case UInt8(ascii: "t"):
                    guard word("true") else { return false }
                    if recording { node(.true, from: start) }
                case UInt8(ascii: "f"):
                    guard word("false") else { return false }
                    if recording { node(.false, from: start) }
                case UInt8(ascii: "n"):
                    guard word("null") else { return false }
                    if recording { node(.null, from: start) }
                default:
                    guard number() else { return false }
                    if recording { node(.number, from: start) }
                }
                // After a value: close containers or go on to the next member.
                while true {
                    skipSpace()
                    if depth == 0 { return i == b.count }
                    guard i < b.count else { return false }
                    let isObject = stack[depth - 1]
                    if b[i] == UInt8(ascii: ",") {
                        i += 1
                        skipSpace()
                        if isObject && !key() { return false }
                        break
                    }
                    guard b[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return false }
                    i += 1
                    depth -= 1
                    if recording { close() }
                }
            }
        }

        /// The innermost open container ends here: its subtree ends at the next node.
        mutating func close() {
            let index = open.removeLast()
            nodes[index].end = i
            nodes[index].next = nodes.count
        }

        /// `"key"` `:` and the space before the value.
        mutating func key() -> Bool {
            let start = i
            guard i < b.count, b[i] == UInt8(ascii: "\""), string() else { return false }
            if recording { node(.string, from: start) }
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { return false }
            i += 1
            skipSpace()
            return true
        }

        mutating func word(_ w: StaticString) -> Bool {
            let n = w.utf8CodeUnitCount
            guard i + n <= b.count else { return false }
            for k in 0..<n where b[i + k] != w.utf8Start[k] { return false }
            i += n
            return true
        }

        mutating func digits() -> Bool {
            let start = i
            while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
            return i > start
        }

        /// A JSON number. One that may not fit a Double (decimal exponent 308 or more) is
        /// refused: Foundation refuses those, and a refused line is only decoded, never lost.
        mutating func number() -> Bool {
            if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count else { return false }
            let intStart = i
            if b[i] == UInt8(ascii: "0") { i += 1 } else if !digits() { return false }
            var magnitude = i - intStart - 1
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                guard digits() else { return false }
            }
            if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                i += 1
                var negative = false
                if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { negative = b[i] == UInt8(ascii: "-"); i += 1 }
                let expStart = i
                guard digits() else { return false }
                var exponent = 0
                for k in expStart..<i where exponent < 100_000 { exponent = exponent * 10 + Int(b[k] - UInt8(ascii: "0")) }
                magnitude += negative ? -exponent : exponent
            }
            return magnitude < 308
        }

        static func isHex(_ c: UInt8) -> Bool {
            (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "f"))
        }

        /// A string from its opening quote; UTF-8 checked (no overlongs, surrogates or values
        /// past U+10FFFF).
        mutating func string() -> Bool {
            i += 1
            sawEscape = false
            while i < b.count {
                // Plain ASCII, the bulk of a log message, in a tight loop.
                while i < b.count, b[i] >= 0x20, b[i] < 0x80, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\") { i += 1 }
                guard i < b.count else { break }
                let c = b[i]
                switch c {
                case UInt8(ascii: "\""):
                    i += 1
                    return true
                case UInt8(ascii: "\\"):
                    guard i + 1 < b.count else { return false }
                    sawEscape = true
                    switch b[i + 1] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                         UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        i += 2
                    case UInt8(ascii: "u"):
                        guard i + 5 < b.count, Self.isHex(b[i + 2]), Self.isHex(b[i + 3]), Self.isHex(b[i + 4]),
                              Self.isHex(b[i + 5]) else { return false }
                        i += 6
                    default:
                        return false
                    }
                case 0..<0x20:
                    return false
                case 0x20..<0x80:
                    i += 1
                default:
                    guard utf8Sequence() else { return false }
                }
            }
            return false
        }

        mutating func utf8Sequence() -> Bool {
            let c = b[i]
            let n: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: n = 1
            case 0xE0: n = 2; low = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: n = 2
            case 0xED: n = 2; high = 0x9F
            case 0xF0: n = 3; low = 0x90
            case 0xF1...0xF3: n = 3
            case 0xF4: n = 3; high = 0x8F
            default: return false
            }
            guard i + n < b.count else { return false }
            guard b[i + 1] >= low, b[i + 1] <= high else { return false }
            var k = 2
            while k <= n {
                guard b[i + k] & 0xC0 == 0x80 else { return false }
                k += 1
            }
            i += n + 1
            return true
        }
    }
}
