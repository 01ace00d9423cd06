import PullwatchRecords
import PullwatchRules

/// Failure counts; every `by_*` adds up to `total` (a failure without a node, namespace,
/// registry or image counts under no key of that table: `unattributed` says how many).
public struct FailureCounts: Sendable, Equatable {
    public var total = 0
    public var byCause: [String: Int] = [:]
    public var byRegistry: [String: Int] = [:]
    public var byNode: [String: Int] = [:]
    public var byNamespace: [String: Int] = [:]
    public var byImage: [String: Int] = [:]
    /// Failures without a node / namespace / registry / image.
    public var withoutNode = 0, withoutNamespace = 0, withoutRegistry = 0, withoutImage = 0
}

/// One incident: attempts of one cause against one registry (and repository, for causes
/// that belong to an image or a node), without a quiet gap longer than `Incidents.quietGap`.
public struct Incident: Sendable, Equatable {
    public enum Scope: String, Sendable { case node, registry, image }
    public var id: String
    public var cause: Cause
    public var registry: String?
    public var repository: String?
    /// The image as written most often in the incident's records.
    public var image: String?
    public var scope: Scope
    public var firstSeen: Int64?
    public var lastSeen: Int64?
    /// Failure occurrences (event counts included), as in `failures`.
    public var records: Int
    /// Correlated pull attempts (see `Incidents.attemptWindow`).
    public var attempts: Int
    /// Nodes by number of failures, most first.
    public var nodes: [String]
    /// `namespace/pod` by number of failures, most first.
    public var pods: [String]
    /// Repositories by number of failures, most first (the summary names up to three).
    public var repositories: [String]
    /// Distinct nodes (`nodes` stops at `Incidents.listLimit`).
    public var nodeCount: Int
    /// For `unknown`: the most frequent message shapes with their counts.
    public var shapes: [(shape: String, count: Int)]

    public static func == (a: Incident, b: Incident) -> Bool {
        a.id == b.id && a.records == b.records && a.attempts == b.attempts && a.repositories == b.repositories
            && a.nodes == b.nodes && a.pods == b.pods && a.shapes.map(\.shape) == b.shapes.map(\.shape)
    }
}

/// Everything a renderer needs, computed from an aggregate or a live state.
public struct Report: Sendable {
    public var input: InputStats
    public var failures: FailureCounts
    public var incidents: [Incident]
    /// Failures per minute, cause and registry, for timelines.
    public var timeline: [(time: Int64, cause: Cause, registry: String?, weight: Int)]
    /// The rules the report was made with: cause titles, summary templates and remediation
    /// for the renderers.
    public var rules: RuleSet

    /// Builds the report. `rules` provides titles, summaries and remediation text.
    public init(_ aggregate: Aggregate, rules: RuleSet, window: TimeWindow = TimeWindow()) {
        // Event deltas are computed over everything seen, then the window applies: an event
        // with count 1 at 10:00 and count 3 at 10:06 adds 2 to a report `--since 10:05`.
        var counts = aggregate.counts.filter { window.contains(minute: $0.key.minute) }
        var attempts = aggregate.attempts.filter { window.contains($0.start) }
        var highs = aggregate.eventHighs
        for s in Aggregate.unique(aggregate.events) {
            let previous = highs[s.key]?.count ?? 0
            let weight = max(0, s.count - previous)
            highs[s.key] = EventHigh(count: max(previous, s.count), lastSeen: s.observation.time)
            guard weight > 0, window.contains(s.observation.time) else { continue }
            counts[CountKey(s.observation, minute: CountKey.minute(of: s.observation.time)), default: 0] += weight
            attempts.append(AttemptRollup(s.observation, weight: weight))
        }
        var builder = IncidentBuilder(incidents: aggregate.incidents.filter { window.overlaps($0.first, $0.last) },
                                      recent: aggregate.recent)
        for a in AttemptRollup.normalize(attempts).sorted(by: AttemptRollup.byStart) { builder.add(a) }
        builder.flush()
        self.init(input: aggregate.input, counts: counts, incidents: builder.render(), rules: rules)
    }

    /// A report from counts and incidents.
    public init(input: InputStats, counts: [CountKey: Int], incidents: [Incident], rules: RuleSet) {
        self.rules = rules
        self.input = input
        self.input.errors.sort { ($0.file, $0.line ?? 0, $0.offset ?? 0, $0.message) < ($1.file, $1.line ?? 0, $1.offset ?? 0, $1.message) }
        failures = FailureCounts(counts)
        timeline = counts.compactMap { k, n in k.minute.map { ($0 * CountKey.nanosPerMinute, k.cause, k.registry, n) } }
            .sorted { ($0.time, $0.cause.rawValue, $0.registry ?? "") < ($1.time, $1.cause.rawValue, $1.registry ?? "") }
        self.incidents = incidents
    }
}

extension FailureCounts {
    /// The tables of a set of count rows.
    init(_ counts: [CountKey: Int]) {
        for (k, n) in counts where n > 0 {
            total += n
            byCause[k.cause.rawValue, default: 0] += n
            if let r = k.registry { byRegistry[r, default: 0] += n } else { withoutRegistry += n }
            if let x = k.node { byNode[x, default: 0] += n } else { withoutNode += n }
            if let x = k.namespace { byNamespace[x, default: 0] += n } else { withoutNamespace += n }
            if let x = k.image { byImage[x, default: 0] += n } else { withoutImage += n }
        }
    }
}

extension AttemptRollup {
    /// Time order for the incident builder: start, then node and image (untimed last).
    static func byStart(_ a: AttemptRollup, _ b: AttemptRollup) -> Bool {
        (a.start ?? Int64.max, a.node ?? "", a.imageKey ?? "", a.end ?? Int64.max)
            < (b.start ?? Int64.max, b.node ?? "", b.imageKey ?? "", b.end ?? Int64.max)
    }
}

/// `--since` / `--until`: failures outside are left out (records without a time are kept:
/// they cannot be placed, e.g. `kubectl describe` rows).
public struct TimeWindow: Sendable {
    public var since: Int64?
    public var until: Int64?
    public init(since: Int64? = nil, until: Int64? = nil) { self.since = since; self.until = until }
    /// Whether a minute of the counts lies in the window (stored counts are kept per minute).
    func contains(minute m: Int64?) -> Bool {
        guard let m else { return true }
        if let since, m < CountKey.minute(of: since)! { return false }
        if let until, m > CountKey.minute(of: until)! { return false }
        return true
    }

    /// Whether a time range meets the window.
    func overlaps(_ first: Int64?, _ last: Int64?) -> Bool {
        guard let first, let last else { return true }
        if let since, last < since { return false }
        if let until, first > until { return false }
        return true
    }

    func contains(_ t: Int64?) -> Bool {
        guard let t else { return true }
        if let since, t < since { return false }
        if let until, t > until { return false }
        return true
    }
}
