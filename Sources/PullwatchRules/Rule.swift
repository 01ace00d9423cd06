import PullwatchIO

/// One classification rule, as loaded from a rule file.
public struct Rule: Sendable {
    /// Unique id (`registry.tag.manifest-unknown`); a user rule with the same id replaces it.
    public var id: String
    /// The cause a match means.
    public var cause: Cause
    /// The PCRE2 pattern as written.
    public var pattern: String
    /// A short human title.
    public var title: String?
    /// `error` or `warning` (informational; defaults to error).
    public var severity: String
    /// Precedence among matching rules (default: the cause's).
    public var priority: Int
    /// Whether the rule applies only to records that some failure-context rule (cause
    /// `backoff` or `unknown`) also matches. Default true for specific causes; a rule whose
    /// text is itself proof of a pull failure (`ErrImageNeverPull`) sets it false.
    public var requiresFailure: Bool
    /// Literals one of which every line the rule matches contains (raw bytes, before any
    /// unquoting): the gate. Required for rules that can stand alone.
    public var literals: [String]
    /// Words one of which every line the rule matches also contains after its literal: a line
    /// with this rule's literals passes the gate only when one of them follows it in the line
    /// (`gate_needs`; for literals common in ordinary lines, such as a probe's `Get "http:`).
    public var gateNeeds: [String] = []
    /// Lines that must match, with the values they must yield.
    public var samples: [RuleSample]
    /// Lines that must not be classified as this rule's cause.
    public var nonSamples: [SampleLine]
    /// Where the rule was defined.
    public var location: SourceLocation
    /// The compiled pattern.
    public var regex: Regex
    /// A veto: the rule does not apply to a message this matches (`push` for the registry
    /// answers that also refuse pushes). Kept apart from `pattern` so the pattern stays a plain
    /// alternation PCRE2 can start-scan quickly.
    public var unless: Regex?
    /// A veto (`cause: none` in the file): a record this matches is not a pull failure
    /// whatever else matches (a push, an upload, a login). `cause` is unused then.
    public var isVeto = false

    /// Whether the rule can make a record a pull failure by itself.
    public var standsAlone: Bool { !isVeto && (cause.isContext || !requiresFailure) }

    /// `literals` as bytes: a message with none of them cannot match (the gate's guarantee,
    /// tested over every sample and corpus line), so the pattern need not run.
    public internal(set) var literalBytes: [[UInt8]] = []
    /// The literals the pattern itself needs (`RegexLiterals`): one of them is in every message
    /// the pattern matches (empty: none known, or the rule has `literals`, which are used
    /// instead). The pattern need not run on a message without.
    public internal(set) var neededBytes: [[UInt8]] = []
    /// What a message must hold for the pattern to be worth running: `literals` when the file
    /// gives them, else the pattern's needed literals (empty: always run).
    var prefilterBytes: [[UInt8]] { literalBytes.isEmpty ? neededBytes : literalBytes }

    /// Whether `message` holds one of the literals read from the pattern (or none were): every
    /// message the pattern matches must (checked by `rules test` on every sample).
    public func holdsNeededLiteral(_ message: String) -> Bool {
        let needed = neededBytes
        if needed.isEmpty { return true }
        var subject = message
        return subject.withUTF8 { bytes in
            needed.contains { literal in literal.withUnsafeBytes { ByteSearch.find($0, in: UnsafeRawBufferPointer(bytes)) != nil } }
        }
    }
}

/// A sample line and what classifying it must yield (nil = not checked).
public struct RuleSample: Sendable {
    /// The log line (any format pullwatch reads).
    public var line: String
    /// Expected `image` (as written in the record).
    public var image: String?
    /// Expected registry host.
    public var registry: String?
    /// Expected node.
    public var node: String?
    /// Expected pod.
    public var pod: String?
    /// Expected namespace.
    public var namespace: String?
    /// Where the sample is in its file.
    public var location: SourceLocation
}

/// A non-sample line and where it is.
public struct SampleLine: Sendable {
    /// The log line.
    public var line: String
    /// Where it is in its file.
    public var location: SourceLocation
}

/// A file and 1-based line.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// File path as given (built-in files are `rules/NAME.yaml`).
    public var file: String
    /// 1-based line.
    public var line: Int
    /// `file:line`.
    public var description: String { "\(file):\(line)" }
}

/// A rule-file problem: always names the file and line, and the rule when there is one.
public struct RuleFileError: Error, Sendable, CustomStringConvertible, Equatable {
    /// Where.
    public var location: SourceLocation
    /// The rule id, when the problem is inside a rule.
    public var ruleID: String?
    /// What is wrong.
    public var message: String

    /// `rules/foo.yaml:14: rule "registry.401": missing ) at offset 23`
    public var description: String {
        if let ruleID { return "\(location): rule \"\(ruleID)\": \(message)" }
        return "\(location): \(message)"
    }
}
