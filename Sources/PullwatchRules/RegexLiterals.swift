/// The literals a PCRE2 pattern needs: a set of byte strings one of which is in every text the
/// pattern matches, so a message holding none of them need not be matched at all (ripgrep's
/// and Hyperscan's prefilters do this for their engines; here for the subset of PCRE2 the rule
/// files use).
///
/// The pattern is read as a tree of alternations, sequences, groups, classes and quantifiers.
/// Each piece gives the complete set of strings it can match when that set is small (`exact`),
/// and a set one of which every match contains (`required`). A sequence joins neighbouring exact
/// sets by cross product (`[Cc]onnection (?:was )?closed` gives four strings) and keeps the best
/// set met; an alternation needs one from every branch; a piece that may match nothing (`?`,
/// `*`, `{0,n}`) requires nothing. Lookarounds, anchors and `\b` match no text. Anything this
/// reader does not know (backreferences, `(?x)`, `\Q…\E`, `\x{…}`) gives no literals at all:
/// the rule then always runs, which is slower but never wrong.
public enum RegexLiterals {
    /// Literals shorter than this are not worth a search (one byte or two are everywhere).
    static let minimumLength = 3
    /// Largest exact set carried through a cross product.
    static let exactLimit = 64
    /// Largest required set (an alternation of many branches).
    static let requiredLimit = 256

    /// The needed literals of `pattern`, or nil when there is no usable set (the pattern can
    /// match without any literal of `minimumLength` bytes, or uses syntax this reader skips).
    public static func required(_ pattern: String) -> [[UInt8]]? {
        var parser = Parser(bytes: Array(pattern.utf8))
        guard let node = parser.parseAlternation(caseless: false), parser.at == parser.bytes.count, !parser.failed else { return nil }
        guard let set = node.bestRequired else { return nil }
        return set.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// What is known of one piece of a pattern.
    struct Info {
        /// Every string the piece can match, when few (nil: too many or unbounded).
        var exact: Set<[UInt8]>?
        /// A usable set, one of which is in every match (nil: none known).
        var required: Set<[UInt8]>?

        static let unknown = Info(exact: nil, required: nil)
        static let empty = Info(exact: [[]], required: nil)

        /// `required`, or `exact` when that is usable and better.
        var bestRequired: Set<[UInt8]>? {
            RegexLiterals.better(required, exact.flatMap(RegexLiterals.usable))
        }
    }

    /// `set` when every string in it is at least `minimumLength` bytes long.
    static func usable(_ set: Set<[UInt8]>) -> Set<[UInt8]>? {
        guard !set.isEmpty, set.count <= requiredLimit, set.allSatisfy({ $0.count >= minimumLength }) else { return nil }
        return set
    }

    /// The more selective of two usable sets: longer shortest literal, then fewer literals.
    static func better(_ a: Set<[UInt8]>?, _ b: Set<[UInt8]>?) -> Set<[UInt8]>? {
        guard let a else { return b }
        guard let b else { return a }
        let ma = min(a.map(\.count).min() ?? 0, 8), mb = min(b.map(\.count).min() ?? 0, 8)
        if ma != mb { return ma > mb ? a : b }
        return a.count <= b.count ? a : b
    }

    static func cross(_ a: Set<[UInt8]>, _ b: Set<[UInt8]>) -> Set<[UInt8]>? {
        guard a.count * b.count <= exactLimit else { return nil }
        var out = Set<[UInt8]>()
        for x in a { for y in b { out.insert(x + y) } }
        return out
    }

    struct Parser {
        let bytes: [UInt8]
        var at = 0
        var failed = false

        init(bytes: [UInt8]) { self.bytes = bytes }

        var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

        mutating func fail() -> Info? { failed = true; return nil }

        /// branch ('|' branch)*, up to ')' or the end.
        mutating func parseAlternation(caseless: Bool) -> Info? {
            var branches: [Info] = []
            var caseless = caseless
            while true {
                guard let branch = parseSequence(caseless: &caseless) else { return nil }
                branches.append(branch)
                if peek == UInt8(ascii: "|") { at += 1; continue }
                break
            }
            if branches.count == 1 { return branches[0] }
            var exact: Set<[UInt8]>? = []
            var required: Set<[UInt8]>? = []
            for b in branches {
                if let e = b.exact, let sofar = exact, sofar.count + e.count <= exactLimit { exact = sofar.union(e) } else { exact = nil }
                if let r = b.bestRequired, let sofar = required, sofar.count + r.count <= requiredLimit { required = sofar.union(r) } else { required = nil }
            }
            return Info(exact: exact, required: required)
        }

        /// A sequence of quantified atoms, up to '|', ')' or the end. An inline `(?i)` changes
        /// `caseless` for the rest of the enclosing group (all its branches after it).
        mutating func parseSequence(caseless: inout Bool) -> Info? {
            // The cross product of the exact pieces since the last break, as an array (a piece of
            // one string, the common case, is appended in place; duplicates go at the end).
            var run: [[UInt8]] = [[]]
            var best: Set<[UInt8]>?
            var allExact = true
            while let c = peek, c != UInt8(ascii: "|"), c != UInt8(ascii: ")") {
                // Inline flags: (?i) (?-i) (?s) (?m) …
                if c == UInt8(ascii: "("), let flags = inlineFlags() {
                    if flags.contains(UInt8(ascii: "x")) || flags.contains(UInt8(ascii: "X")) { return fail() }
                    if let i = flags.firstIndex(of: UInt8(ascii: "i")) {
                        caseless = !(flags[..<i].contains(UInt8(ascii: "-")))
                    }
                    continue
                }
                // Fast path: a plain ASCII character (or an escaped punctuation mark) with no
                // quantifier after it extends the run in place.
                if let b = plainByte(caseless: caseless) {
                    for i in run.indices { run[i].append(b) }
                    continue
                }
                guard let atom = parseAtom(caseless: caseless) else { return nil }
                guard let piece = parseQuantifier(atom) else { return nil }
                if let e = piece.exact, e.count == 1, let only = e.first {
                    for i in run.indices { run[i].append(contentsOf: only) }
                } else if let e = piece.exact, run.count * e.count <= exactLimit {
                    run = run.flatMap { x in e.map { x + $0 } }
                } else {
                    best = better(best, usable(Set(run)))
                    best = better(best, piece.bestRequired)
                    allExact = false
                    run = piece.exact.map(Array.init) ?? [[]]
                }
            }
            let last = Set(run)
            best = better(best, usable(last))
            return Info(exact: allExact ? last : nil, required: best)
        }

        /// The byte of a plain character at `at` (consumed) when it is one byte, matches only
        /// itself and has no quantifier after it; else nil (untouched).
        mutating func plainByte(caseless: Bool) -> UInt8? {
            guard at < bytes.count else { return nil }
            var b = bytes[at]
            var length = 1
            if b == UInt8(ascii: "\\") {
                guard at + 1 < bytes.count else { return nil }
                b = bytes[at + 1]
                guard !Parser.isAlnum(b), b < 0x80 else { return nil }
                length = 2
            } else if b >= 0x80 || Parser.special.contains(b) {
                return nil
            }
            if caseless && Parser.isAlnum(b) && !(b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) { return nil }
            if at + length < bytes.count, Parser.quantifierStart.contains(bytes[at + length]) { return nil }
            at += length
            return b
        }

        static let special: Set<UInt8> = Set("()[].^$|*+?{\\".utf8)
        static let quantifierStart: Set<UInt8> = Set("*+?{".utf8)

        /// `(?flags)` at `at`: consumes it and returns the flag letters, else nil (untouched).
        mutating func inlineFlags() -> [UInt8]? {
            guard at + 2 < bytes.count, bytes[at + 1] == UInt8(ascii: "?") else { return nil }
            var j = at + 2
            var flags: [UInt8] = []
            while j < bytes.count, bytes[j] == UInt8(ascii: "-") || (bytes[j] >= UInt8(ascii: "a") && bytes[j] <= UInt8(ascii: "z"))
                    || (bytes[j] >= UInt8(ascii: "A") && bytes[j] <= UInt8(ascii: "Z")) {
                flags.append(bytes[j]); j += 1
            }
            guard !flags.isEmpty, j < bytes.count, bytes[j] == UInt8(ascii: ")") else { return nil }
            at = j + 1
            return flags
        }

        mutating func parseAtom(caseless: Bool) -> Info? {
            let c = bytes[at]
            switch c {
            case UInt8(ascii: "("):
                return parseGroup(caseless: caseless)
            case UInt8(ascii: "["):
                return parseClass(caseless: caseless)
            case UInt8(ascii: "."):
                at += 1; return .unknown
            case UInt8(ascii: "^"), UInt8(ascii: "$"):
                at += 1; return .empty
            case UInt8(ascii: "\\"):
                return parseEscape(caseless: caseless)
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
                return fail()
            default:
                if c >= 0xC0 {
                    // One UTF-8 character is one atom (a quantifier after it repeats all its bytes).
                    let length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2
                    guard at + length <= bytes.count else { return fail() }
                    if caseless { at += length; return .unknown }
                    defer { at += length }
                    return Info(exact: [Array(bytes[at..<(at + length)])], required: nil)
                }
                at += 1
                return literal(c, caseless: caseless)
            }
        }

        func literal(_ c: UInt8, caseless: Bool) -> Info {
            if caseless {
                if c >= 0x80 { return .unknown }
                let lower = (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) ? c + 32 : c
                let upper = (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) ? c - 32 : c
                return Info(exact: [[lower], [upper]], required: nil)
            }
            return Info(exact: [[c]], required: nil)
        }

        mutating func parseGroup(caseless: Bool) -> Info? {
            at += 1 // (
            var lookaround = false
            var inner = caseless
            if peek == UInt8(ascii: "?") {
                at += 1
                guard let k = peek else { return fail() }
                switch k {
                case UInt8(ascii: ":"), UInt8(ascii: "|"), UInt8(ascii: ">"):
                    at += 1
                case UInt8(ascii: "="), UInt8(ascii: "!"):
                    at += 1; lookaround = true
                case UInt8(ascii: "<"):
                    at += 1
                    if peek == UInt8(ascii: "=") || peek == UInt8(ascii: "!") { at += 1; lookaround = true; break }
                    // (?<name>
                    while let n = peek, n != UInt8(ascii: ">") { at += 1 }
                    guard peek == UInt8(ascii: ">") else { return fail() }
                    at += 1
                case UInt8(ascii: "P"):
                    // (?P<name> … )
                    at += 1
                    guard peek == UInt8(ascii: "<") else { return fail() }
                    while let n = peek, n != UInt8(ascii: ">") { at += 1 }
                    guard peek == UInt8(ascii: ">") else { return fail() }
                    at += 1
                default:
                    // (?i: … ), (?-i: … ), (?s: … )
                    var flags: [UInt8] = []
                    while let f = peek, f == UInt8(ascii: "-") || (f >= UInt8(ascii: "a") && f <= UInt8(ascii: "z")) { flags.append(f); at += 1 }
                    guard peek == UInt8(ascii: ":"), !flags.isEmpty else { return fail() }
                    at += 1
                    if flags.contains(UInt8(ascii: "x")) { return fail() }
                    if let i = flags.firstIndex(of: UInt8(ascii: "i")) { inner = !flags[..<i].contains(UInt8(ascii: "-")) }
                }
            } else if peek == UInt8(ascii: "*") {
                return fail() // verbs such as (*UTF)
            }
            guard let body = parseAlternation(caseless: inner) else { return nil }
            guard peek == UInt8(ascii: ")") else { return fail() }
            at += 1
            return lookaround ? .empty : body
        }

        /// `[...]`: a few single bytes are an exact set; anything else is one unknown byte.
        mutating func parseClass(caseless: Bool) -> Info? {
            at += 1 // [
            var negated = false
            if peek == UInt8(ascii: "^") { negated = true; at += 1 }
            var members = Set<UInt8>()
            var known = true
            var first = true
            while true {
                guard let c = peek else { return fail() }
                if c == UInt8(ascii: "]") && !first { at += 1; break }
                first = false
                var value: UInt8?
                if c == UInt8(ascii: "[") && at + 1 < bytes.count && bytes[at + 1] == UInt8(ascii: ":") {
                    // [:alpha:]
                    guard let close = bytes[(at + 2)...].firstIndex(of: UInt8(ascii: "]")) else { return fail() }
                    at = close + 1; known = false; continue
                }
                if c == UInt8(ascii: "\\") {
                    guard at + 1 < bytes.count else { return fail() }
                    let e = bytes[at + 1]
                    at += 2
                    if let v = Parser.escapedByte(e) { value = v }
                    else if Parser.isAlnum(e) { known = false; continue } // \s \d \w …
                    else { value = e }
                } else {
                    value = c; at += 1
                }
                guard let low = value else { continue }
                if low >= 0x80 { known = false }
                // A range a-z.
                if peek == UInt8(ascii: "-"), at + 1 < bytes.count, bytes[at + 1] != UInt8(ascii: "]") {
                    at += 1
                    var high = bytes[at]
                    if high == UInt8(ascii: "\\") {
                        guard at + 1 < bytes.count else { return fail() }
                        let e = bytes[at + 1]
                        at += 2
                        if let v = Parser.escapedByte(e) { high = v } else if Parser.isAlnum(e) { return fail() } else { high = e }
                    } else { at += 1 }
                    if high < low || high >= 0x80 { known = false; continue }
                    if Int(high) - Int(low) > 8 { known = false; continue }
                    for b in low...high { members.insert(b) }
                    continue
                }
                members.insert(low)
            }
            guard known, !negated else { return .unknown }
            var all = members
            if caseless {
                for m in members {
                    if m >= UInt8(ascii: "a") && m <= UInt8(ascii: "z") { all.insert(m - 32) }
                    if m >= UInt8(ascii: "A") && m <= UInt8(ascii: "Z") { all.insert(m + 32) }
                }
            }
            guard !all.isEmpty, all.count <= 4 else { return .unknown }
            return Info(exact: Set(all.map { [$0] }), required: nil)
        }

        static func isAlnum(_ b: UInt8) -> Bool {
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
                || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
        }

        /// The byte an escape such as `\n` stands for (nil: not a single-byte escape).
        static func escapedByte(_ e: UInt8) -> UInt8? {
            switch e {
            case UInt8(ascii: "n"): return 0x0A
            case UInt8(ascii: "t"): return 0x09
            case UInt8(ascii: "r"): return 0x0D
            case UInt8(ascii: "f"): return 0x0C
            case UInt8(ascii: "e"): return 0x1B
            case UInt8(ascii: "a"): return 0x07
            default: return nil
            }
        }

        mutating func parseEscape(caseless: Bool) -> Info? {
            guard at + 1 < bytes.count else { return fail() }
            let e = bytes[at + 1]
            at += 2
            if let v = Parser.escapedByte(e) { return literal(v, caseless: caseless) }
            switch e {
            case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "A"), UInt8(ascii: "z"), UInt8(ascii: "Z"), UInt8(ascii: "G"):
                return .empty
            case UInt8(ascii: "s"), UInt8(ascii: "S"), UInt8(ascii: "d"), UInt8(ascii: "D"), UInt8(ascii: "w"), UInt8(ascii: "W"),
                 UInt8(ascii: "h"), UInt8(ascii: "H"), UInt8(ascii: "v"), UInt8(ascii: "V"), UInt8(ascii: "N"), UInt8(ascii: "R"):
                return .unknown
            default:
                // Any other letter or digit (backreferences, \x, \p, \Q, \K, \X, …): not read.
                if Parser.isAlnum(e) { return fail() }
                return literal(e, caseless: caseless)
            }
        }

        /// A quantifier after `atom`, if any (and its lazy or possessive mark).
        mutating func parseQuantifier(_ atom: Info) -> Info? {
            guard let q = peek else { return atom }
            var minimum: Int
            var maximum: Int?
            switch q {
            case UInt8(ascii: "?"): minimum = 0; maximum = 1; at += 1
            case UInt8(ascii: "*"): minimum = 0; maximum = nil; at += 1
            case UInt8(ascii: "+"): minimum = 1; maximum = nil; at += 1
            case UInt8(ascii: "{"):
                guard let (lo, hi, end) = braces() else {
                    // A literal '{', unless it is a quantifier form this reader does not parse.
                    if at + 1 < bytes.count, [UInt8(ascii: " "), UInt8(ascii: ",")].contains(bytes[at + 1])
                        || (bytes[at + 1] >= UInt8(ascii: "0") && bytes[at + 1] <= UInt8(ascii: "9")) { return fail() }
                    return atom
                }
                minimum = lo; maximum = hi; at = end
            default:
                return atom
            }
            if peek == UInt8(ascii: "?") || peek == UInt8(ascii: "+") { at += 1 }
            if peek == UInt8(ascii: "?") || peek == UInt8(ascii: "*") || peek == UInt8(ascii: "+") { return fail() }
            if minimum == 0 {
                if maximum == 1, let e = atom.exact, e.count < exactLimit { return Info(exact: e.union([[]]), required: nil) }
                return .unknown
            }
            if minimum == 1 && maximum == 1 { return atom }
            // At least once: whatever one repetition requires is required.
            var exact: Set<[UInt8]>?
            if let e = atom.exact, maximum == minimum, minimum <= 8 {
                var r: Set<[UInt8]>? = [[]]
                for _ in 0..<minimum { r = r.flatMap { cross($0, e) } }
                exact = r
            }
            return Info(exact: exact, required: atom.bestRequired)
        }

        /// `{n}`, `{n,}`, `{n,m}` at `at`: (n, m or nil, index after '}'); nil when not a quantifier.
        func braces() -> (Int, Int?, Int)? {
            var j = at + 1
            func number() -> Int? {
                var v = 0, digits = 0
                while j < bytes.count, bytes[j] >= UInt8(ascii: "0"), bytes[j] <= UInt8(ascii: "9"), digits < 6 {
                    v = v * 10 + Int(bytes[j] - UInt8(ascii: "0")); j += 1; digits += 1
                }
                return digits > 0 ? v : nil
            }
            let lo = number()
            var hi: Int?
            if j < bytes.count, bytes[j] == UInt8(ascii: ",") {
                j += 1
                hi = number()
                guard lo != nil || hi != nil else { return nil }
                guard j < bytes.count, bytes[j] == UInt8(ascii: "}") else { return nil }
                return (lo ?? 0, hi, j + 1)
            }
            guard let lo, j < bytes.count, bytes[j] == UInt8(ascii: "}") else { return nil }
            return (lo, lo, j + 1)
        }
    }
}
