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

    /// Adds another's counters and errors.
    public mutating func add(_ o: InputStats) {
        sources += o.sources
        bytes += o.bytes
        lines += o.lines
        records += o.records
        candidateLines += o.candidateLines
        limitHits += o.limitHits
        errors += o.errors
    }
}

/// The mergeable result of scanning some input (`scan --format state`, `merge`): rollups, not
/// records. Log lines are summed into `counts` and into attempt summaries (session windows per
/// node and image, which merge exactly); Kubernetes Event sightings are kept per object and
/// count, because an object's occurrences are the difference to the highest count seen before,
/// wherever that was. Counting and incidents are finished only when a report is rendered, so
/// `merge` is associative and commutative and a merge of any split of the input reports what
/// one scan of it reports (docs/incidents.md says what is exact).
public struct Aggregate: Codable, Sendable {
    /// Format marker of state files.
    public static let schema = "pullwatch.state/v2"
    public var schema = Aggregate.schema
    public var input = InputStats()
    /// Failures of log lines per minute, cause, registry, node, namespace and image.
    public var counts: [CountKey: Int] = [:]
    /// Attempt summaries of log lines (unsorted; normalized when reported or written).
    public var attempts: [AttemptRollup] = []
    /// Event sightings not yet counted.
    public var events: [EventSighting] = []
    /// Event objects already counted up to a count (live states).
    public var eventHighs: [String: EventHigh] = [:]
    /// Incidents already built from attempts no longer kept (live states).
    public var incidents: [IncidentRollup] = []
    /// Recent attempts already in `incidents`, for back-off attempts to take their cause from.
    public var recent: [AttemptRollup] = []
    /// The latest attempt of each node and image key, by index in `attempts` (while adding).
    private var latest: [String: Int] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey { case schema, input, counts, attempts, events, eventHighs, incidents, recent }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        guard schema == Aggregate.schema else { return }
        input = try c.decode(InputStats.self, forKey: .input)
        for row in try c.decode([CountRow].self, forKey: .counts) { counts[row.key, default: 0] += row.n }
        attempts = try c.decode([AttemptRollup].self, forKey: .attempts)
        events = try c.decode([EventSighting].self, forKey: .events)
        eventHighs = try c.decodeIfPresent([String: EventHigh].self, forKey: .eventHighs) ?? [:]
        incidents = try c.decodeIfPresent([IncidentRollup].self, forKey: .incidents) ?? []
        recent = try c.decodeIfPresent([AttemptRollup].self, forKey: .recent) ?? []
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(input, forKey: .input)
        try c.encode(counts.map { CountRow(key: $0.key, n: $0.value) }.sorted { CountKey.ordered($0.key, $1.key) }, forKey: .counts)
        try c.encode(AttemptRollup.normalize(attempts), forKey: .attempts)
        try c.encode(Self.unique(events), forKey: .events)
        try c.encode(eventHighs, forKey: .eventHighs)
        try c.encode(incidents.sorted { ($0.key, $0.first ?? 0) < ($1.key, $1.first ?? 0) }, forKey: .incidents)
        try c.encode(recent, forKey: .recent)
    }

    /// Adds a classified failure.
    public mutating func add(_ o: Observation) {
        if let key = o.eventKey {
            events.append(EventSighting(key: key, count: o.eventCount ?? 1, observation: o))
            return
        }
        counts[CountKey(o, minute: CountKey.minute(of: o.time)), default: 0] += 1
        let a = AttemptRollup(o, weight: 1)
        let id = a.identity
        if o.time != nil, let i = latest[id], attempts[i].touches(a) {
            attempts[i].absorb(a)
        } else {
            if o.time != nil { latest[id] = attempts.count }
            attempts.append(a)
        }
    }

    /// Adds another aggregate's content.
    public mutating func merge(_ other: Aggregate) {
        input.add(other.input)
        for (k, v) in other.counts { counts[k, default: 0] += v }
        attempts += other.attempts
        latest.removeAll()
        events += other.events
        for (k, v) in other.eventHighs {
            if let mine = eventHighs[k] {
                eventHighs[k] = EventHigh(count: max(mine.count, v.count),
                                          lastSeen: max(mine.lastSeen ?? Int64.min, v.lastSeen ?? Int64.min))
            } else { eventHighs[k] = v }
        }
        incidents += other.incidents
        recent += other.recent
    }

    /// Sightings sorted, one per (object, count): the earliest.
    static func unique(_ events: [EventSighting]) -> [EventSighting] {
        var out: [EventSighting] = []
        for s in events.sorted(by: EventSighting.ordered) where out.last.map({ $0.key != s.key || $0.count != s.count }) ?? true {
            out.append(s)
        }
        return out
    }
}

extension CountKey {
    init(_ o: Observation, minute: Int64?) {
        self.init(minute: minute, cause: o.cause, registry: o.registry, node: o.node, namespace: o.namespace, image: o.imageName)
    }

    /// The key of the metrics' labels (node, registry, cause) for a failure.
    public static func metricLabels(_ o: Observation) -> CountKey {
        CountKey(minute: nil, cause: o.cause, registry: o.registry, node: o.node, namespace: nil, image: nil)
    }
}
