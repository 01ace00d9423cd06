import PullwatchIO
import PullwatchRecords
import PullwatchRules

/// An input problem as the report lists it.
public struct InputProblem: Codable, Sendable, Hashable {
    public var file: String
    public var line: Int?
    public var offset: UInt64?
    public var message: String

    /// From an `InputError`.
    public init(_ e: InputError) {
        file = e.source; line = e.line; offset = e.offset; message = e.message
    }
}

/// What was read.
public struct InputStats: Codable, Sendable, Hashable {
    public var sources = 0
    public var bytes: UInt64 = 0
    public var lines = 0
    public var records = 0
    /// Lines the gate let pass and that were parsed into records (the rest were skipped unparsed).
    public var candidateLines = 0
    /// Rule matches stopped by the PCRE2 limits.
    public var limitHits = 0
    public var errors: [InputProblem] = []

    public init() {}
}

/// The mergeable result of scanning some input: associative and commutative under `merge`
/// (up to the order of `errors`, which is sorted at report time).
public struct Aggregate: Codable, Sendable {
    /// Format marker of state files.
    public static let schema = "pullwatch.state/v1"
    public var schema = Aggregate.schema
    public var input = InputStats()
    public var observations: [Observation] = []

    public init() {}

    /// Adds another aggregate's content.
    public mutating func merge(_ other: Aggregate) {
        input.sources += other.input.sources
        input.bytes += other.input.bytes
        input.lines += other.input.lines
        input.records += other.input.records
        input.candidateLines += other.input.candidateLines
        input.limitHits += other.input.limitHits
        input.errors += other.input.errors
        observations += other.observations
    }
}
