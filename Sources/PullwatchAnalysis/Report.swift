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
    public var summary: String
    public var remediation: [String]
    /// For `unknown`: the most frequent message shapes with their counts.
    public var shapes: [(shape: String, count: Int)]

    public static func == (a: Incident, b: Incident) -> Bool {
        a.id == b.id && a.records == b.records && a.attempts == b.attempts && a.summary == b.summary
            && a.nodes == b.nodes && a.pods == b.pods && a.shapes.map(\.shape) == b.shapes.map(\.shape)
    }
}

/// Everything a renderer needs, computed from an aggregate.
public struct Report: Sendable {
    public var input: InputStats
    public var failures: FailureCounts
    public var incidents: [Incident]
    /// Per failure: its time and weight, for timelines (cause, registry).
    public var timeline: [(time: Int64, cause: Cause, registry: String?, weight: Int)]

    /// Builds the report. `rules` provides titles, summaries and remediation text.
    public init(_ aggregate: Aggregate, rules: RuleSet, window: TimeWindow = TimeWindow()) {
        input = aggregate.input
        input.errors.sort { ($0.file, $0.line ?? 0, $0.offset ?? 0, $0.message) < ($1.file, $1.line ?? 0, $1.offset ?? 0, $1.message) }
        // Event deltas are computed over everything seen, then the window applies: an event
        // with count 1 at 10:00 and count 3 at 10:06 adds 2 to a report `--since 10:05`.
        let observations = aggregate.observations.sorted(by: Observation.ordered)
        let weighted = Counting.weights(observations).filter { window.contains($0.observation.time) }
        failures = Counting.counts(weighted)
        timeline = weighted.compactMap { w in w.observation.time.map { ($0, w.observation.cause, w.observation.registry, w.weight) } }
        incidents = Incidents.build(weighted, rules: rules)
    }
}

/// `--since` / `--until`: failures outside are left out (records without a time are kept:
/// they cannot be placed, e.g. `kubectl describe` rows).
public struct TimeWindow: Sendable {
    public var since: Int64?
    public var until: Int64?
    public init(since: Int64? = nil, until: Int64? = nil) { self.since = since; self.until = until }
    func contains(_ t: Int64?) -> Bool {
        guard let t else { return true }
        if let since, t < since { return false }
        if let until, t > until { return false }
        return true
    }
}

/// Failure counting per DESIGN.md: one per failing log line; for Kubernetes Events each
/// occurrence once — an object seen again with a higher `count` adds the difference, the
/// same name and count seen twice adds nothing (so the weight of an event object is the
/// highest count seen for it, whatever the number of files it was seen in).
enum Counting {
    struct Weighted { var observation: Observation; var weight: Int }

    static func weights(_ observations: [Observation]) -> [Weighted] {
        var maxSeen: [String: Int] = [:]
        // Event deltas in count order per key, so the result does not depend on input order.
        var weightByIndex = [Int](repeating: 1, count: observations.count)
        var byKey: [String: [Int]] = [:]
        for (i, o) in observations.enumerated() where o.eventKey != nil { byKey[o.eventKey!, default: []].append(i) }
        for (key, indices) in byKey {
            let sorted = indices.sorted { (observations[$0].eventCount ?? 1, $0) < (observations[$1].eventCount ?? 1, $1) }
            for i in sorted {
                let count = observations[i].eventCount ?? 1
                let previous = maxSeen[key] ?? 0
                weightByIndex[i] = max(0, count - previous)
                maxSeen[key] = max(previous, count)
            }
        }
        return observations.enumerated().map { Weighted(observation: $1, weight: weightByIndex[$0]) }
    }

    static func counts(_ weighted: [Weighted]) -> FailureCounts {
        var c = FailureCounts()
        for w in weighted where w.weight > 0 {
            let o = w.observation, n = w.weight
            c.total += n
            c.byCause[o.cause.rawValue, default: 0] += n
            if let r = o.registry { c.byRegistry[r, default: 0] += n } else { c.withoutRegistry += n }
            if let x = o.node { c.byNode[x, default: 0] += n } else { c.withoutNode += n }
            if let x = o.namespace { c.byNamespace[x, default: 0] += n } else { c.withoutNamespace += n }
            if let x = o.imageName { c.byImage[x, default: 0] += n } else { c.withoutImage += n }
        }
        return c
    }
}
