import CPCRE2

/// A compiled PCRE2 pattern (8-bit, UTF with invalid-UTF tolerance), JIT-compiled when the
/// platform allows it.
///
/// The compiled code is immutable after `init` and PCRE2 documents it as safe to share
/// between threads; everything mutable during a match (match data, JIT stack, limits) lives
/// in a `MatchScratch` that belongs to one worker. Hence `@unchecked Sendable`.
public final class Regex: @unchecked Sendable {
    /// The pattern as written.
    public let pattern: String
    /// True when JIT compilation succeeded (else the interpreter runs, more slowly).
    public let isJIT: Bool
    /// Named capture groups → group numbers.
    public let groupNumbers: [String: Int]
    let code: OpaquePointer

    /// Compiles `pattern`. Throws `RegexCompileError` with PCRE2's message and offset.
    ///
    /// Options: UTF. Subjects are the UTF-8 of Swift strings (record messages), valid by
    /// construction. Not MATCH_INVALID_UTF: with it, PCRE2 10.42's JIT never matches `\S` on a
    /// multi-byte character (`x\S` fails on `x…`; the interpreter matches — tested), so every
    /// rule's `\S` stopped at the first non-ASCII character of a line.
    public init(_ pattern: String) throws {
        self.pattern = pattern
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        let options = UInt32(PCRE2_UTF)
        let compiled: OpaquePointer? = pattern.withCString { p in
            p.withMemoryRebound(to: UInt8.self, capacity: pattern.utf8.count) {
                pcre2_compile_8($0, pattern.utf8.count, options, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            throw RegexCompileError(message: Regex.errorMessage(errorCode), offset: errorOffset)
        }
        code = compiled
        isJIT = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
        groupNumbers = Regex.readNameTable(compiled)
    }

    deinit { pcre2_code_free_8(code) }

    static func errorMessage(_ code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBufferPointer { pcre2_get_error_message_8(code, $0.baseAddress, 256) }
        return n > 0 ? String(decoding: buffer[..<Int(n)], as: UTF8.self) : "PCRE2 error \(code)"
    }

    private static func readNameTable(_ code: OpaquePointer) -> [String: Int] {
        var count: UInt32 = 0, entrySize: UInt32 = 0
        var table: UnsafePointer<UInt8>?
        guard pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMECOUNT), &count) == 0, count > 0,
              pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize) == 0,
              pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMETABLE), &table) == 0, let table else { return [:] }
        var names: [String: Int] = [:]
        for i in 0..<Int(count) {
            let entry = table + i * Int(entrySize)
            let number = Int(entry[0]) << 8 | Int(entry[1])
            let nameBytes = UnsafeBufferPointer(start: entry + 2, count: Int(entrySize) - 2).prefix { $0 != 0 }
            names[String(decoding: nameBytes, as: UTF8.self)] = number
        }
        return names
    }

    /// Runs the pattern over `subject` (valid UTF-8: the bytes of a Swift string) with
    /// `scratch`'s match data and limits, from byte `start` on (lookbehinds still see the bytes before it).
    func match(_ subject: UnsafeRawBufferPointer, scratch: MatchScratch, from start: Int = 0) -> MatchResult {
        let base = subject.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
        let rc: Int32
        if isJIT {
            rc = pcre2_jit_match_8(code, base, subject.count, start, 0, scratch.matchData, scratch.context)
        } else {
            rc = pcre2_match_8(code, base, subject.count, start, 0, scratch.matchData, scratch.context)
        }
        if rc >= 0 { return .match(Captures(regex: self, scratch: scratch, subject: subject)) }
        switch rc {
        case PCRE2_ERROR_NOMATCH: return .noMatch
        case PCRE2_ERROR_MATCHLIMIT, PCRE2_ERROR_DEPTHLIMIT, PCRE2_ERROR_HEAPLIMIT, PCRE2_ERROR_JIT_STACKLIMIT:
            return .limitHit
        default: return .error(Regex.errorMessage(rc))
        }
    }

    /// `match` over a string's UTF-8 bytes.
    public func match(_ subject: String, scratch: MatchScratch) -> MatchResult {
        var s = subject
        return s.withUTF8 { match(UnsafeRawBufferPointer($0), scratch: scratch) }
    }
}

/// Why a pattern did not compile: PCRE2's message and the offset in the pattern.
public struct RegexCompileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// PCRE2's message ("missing closing parenthesis").
    public var message: String
    /// Code-unit offset in the pattern where PCRE2 gave up.
    public var offset: Int
    public var description: String { "\(message) at offset \(offset)" }
}

/// The outcome of one match.
public enum MatchResult {
    /// The pattern matched; captures are valid until the scratch is used again.
    case match(Captures)
    /// No match.
    case noMatch
    /// The match or depth limit stopped the search (a catastrophic pattern): counted as no match.
    case limitHit
    /// Any other PCRE2 error (not expected for valid subjects).
    case error(String)
}

/// Capture groups of a successful match, read from the scratch's ovector.
public struct Captures {
    let regex: Regex
    let scratch: MatchScratch
    let subject: UnsafeRawBufferPointer

    /// The text of named group `name`, or nil when the group did not take part.
    public subscript(name: String) -> String? {
        guard let number = regex.groupNumbers[name] else { return nil }
        return self[number]
    }

    /// The text of group `number` (0 = whole match).
    public subscript(number: Int) -> String? {
        let ovector = pcre2_get_ovector_pointer_8(scratch.matchData)!
        let count = Int(pcre2_get_ovector_count_8(scratch.matchData))
        guard number < count else { return nil }
        let start = ovector[2 * number], end = ovector[2 * number + 1]
        guard start != PCRE2_UNSET_VALUE, end >= start, Int(end) <= subject.count else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: subject[Int(start)..<Int(end)]), as: UTF8.self)
    }

    /// The byte range of named group `name` in the subject, or nil when it did not take part.
    public func range(_ name: String) -> Range<Int>? {
        guard let number = regex.groupNumbers[name] else { return nil }
        let ovector = pcre2_get_ovector_pointer_8(scratch.matchData)!
        guard number < Int(pcre2_get_ovector_count_8(scratch.matchData)) else { return nil }
        let start = ovector[2 * number], end = ovector[2 * number + 1]
        guard start != PCRE2_UNSET_VALUE, end >= start, Int(end) <= subject.count else { return nil }
        return Int(start)..<Int(end)
    }

    /// Every named group that matched.
    public var named: [String: String] {
        var out: [String: String] = [:]
        for name in regex.groupNumbers.keys { if let v = self[name] { out[name] = v } }
        return out
    }
}

/// PCRE2_UNSET (`~(PCRE2_SIZE)0`) as Swift imports `size_t` (Int).
let PCRE2_UNSET_VALUE = Int(bitPattern: UInt.max)

/// Per-worker match state: match data sized for any pattern, a match context with limits,
/// and a JIT stack. One per thread; never shared.
public final class MatchScratch {
    /// The limits in force.
    public let limits: MatchLimits
    /// Matches stopped by the limits so far (reported as "no match, limit hit").
    public internal(set) var limitHits = 0
    let matchData: OpaquePointer
    let context: OpaquePointer
    let jitStack: OpaquePointer?
    /// The worker's recent classifications by message (`RuleSet.classify`): a failing pull
    /// repeats the same text on every retry and every node, so most records are decided by one
    /// dictionary lookup. Bounded: emptied when it reaches `classificationCacheLimit`.
    var classifications: [ClassificationKey: Classification?] = [:]
    /// Entries kept before `classifications` is emptied.
    static let classificationCacheLimit = 4096
    /// `RuleSet.classify`'s record of the rule literals in the message being classified (all
    /// false between messages; `presentLiterals` lists the true ones).
    var literalPresent: [Bool] = []
    var presentLiterals: [Int] = []
    /// The stand-alone rules to run for the message being classified (`RuleSet`).
    var candidateRules: [Int] = []

    /// Scratch with `limits`.
    public init(limits: MatchLimits = .default) {
        self.limits = limits
        matchData = pcre2_match_data_create_8(64, nil)
        context = pcre2_match_context_create_8(nil)
        pcre2_set_match_limit_8(context, limits.matchLimit)
        pcre2_set_depth_limit_8(context, limits.depthLimit)
        jitStack = pcre2_jit_stack_create_8(32 * 1024, 512 * 1024, nil)
        if let jitStack { pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(jitStack)) }
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_match_context_free_8(context)
        if let jitStack { pcre2_jit_stack_free_8(jitStack) }
    }
}

/// Limits that stop a catastrophic pattern (e.g. `(a+)+$` on a long line) from hanging a scan.
public struct MatchLimits: Sendable {
    /// PCRE2's match limit (backtracking steps; also bounds JIT matching).
    public var matchLimit: UInt32
    /// PCRE2's depth limit (interpreter backtracking depth).
    public var depthLimit: UInt32

    /// Explicit limits.
    public init(matchLimit: UInt32, depthLimit: UInt32) {
        self.matchLimit = matchLimit
        self.depthLimit = depthLimit
    }

    /// 1 000 000 steps and depth 10 000: ample for the rule set on 1 MiB lines (a normal
    /// match takes well under 10 000 steps), and a runaway pattern gives up in milliseconds.
    public static let `default` = MatchLimits(matchLimit: 1_000_000, depthLimit: 10_000)
}
