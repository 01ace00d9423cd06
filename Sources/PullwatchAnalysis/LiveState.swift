import PullwatchRules

/// The state of a live mode (`follow`, `serve`), updated per failure in O(1) amortized and
/// bounded by retention, not by history: counts per minute and key, the open attempt of each
/// node and image, the incidents built from final attempts, and the highest count of each
/// Event object. An attempt is final once the newest failure seen is `Incidents.settle` past
/// its last record; its records are then forgotten (only its summary is in its incident).
///
/// Every change is also recorded for the durable store (`takeChanges`), which writes only
/// what changed, in the same transaction as the checkpoints.
public struct LiveState: Sendable {
    public var input = InputStats()
    public private(set) var counts: [CountKey: Int] = [:]
    /// The open attempt of each node and image key.
    public private(set) var open: [String: AttemptRollup] = [:]
    public private(set) var builder = IncidentBuilder()
    public private(set) var eventHighs: [String: EventHigh] = [:]
    /// The newest failure time seen.
    public private(set) var newest: Int64?
    private var changes = Changes()

    /// What changed since the last `takeChanges()`.
    public struct Changes: Sendable {
        /// Count deltas.
        public var counts: [CountKey: Int] = [:]
        /// Open attempts written or removed, by key.
        public var openWritten = Set<String>()
        /// Attempts that became final (the store keeps them until they leave the builder's index).
        public var finalized: [AttemptRollup] = []
        /// Deferred attempts added, and the keys of those placed.
        public var deferredAdded: [AttemptRollup] = []
        public var deferredPlaced: [String] = []
        /// Incident keys whose incidents changed.
        public var incidentKeys = Set<String>()
        /// Event objects whose highest count changed.
        public var events = Set<String>()
    }

    public init() {}

    /// Restores a state the store kept.
    public init(input: InputStats, counts: [CountKey: Int], open: [AttemptRollup], deferred: [AttemptRollup],
                incidents: [IncidentRollup], recent: [AttemptRollup], eventHighs: [String: EventHigh]) {
        self.input = input
        self.counts = counts
        for a in open { self.open[Self.openKey(a)] = a }
        builder = IncidentBuilder(incidents: incidents, recent: recent, deferred: deferred)
        _ = builder.takeChanged()
        self.eventHighs = eventHighs
        newest = (open.compactMap(\.end) + incidents.compactMap(\.last)).max()
    }

    /// Open attempts are kept per node, image and kind (back-off or not); untimed ones are final
    /// at once.
    static func openKey(_ a: AttemptRollup) -> String { a.identity }

    /// Adds a classified failure; returns its weight (an Event object seen again with the same
    /// count adds nothing).
    @discardableResult
    public mutating func add(_ o: Observation) -> Int {
        var weight = 1
        if let key = o.eventKey {
            let count = o.eventCount ?? 1
            let previous = eventHighs[key]?.count ?? 0
            weight = max(0, count - previous)
            let seen = max(eventHighs[key]?.lastSeen ?? Int64.min, o.time ?? Int64.min)
            eventHighs[key] = EventHigh(count: max(previous, count), lastSeen: seen == Int64.min ? nil : seen)
            changes.events.insert(key)
            guard weight > 0 else { return 0 }
        }
        let ck = CountKey(o, minute: CountKey.minute(of: o.time))
        counts[ck, default: 0] += weight
        changes.counts[ck, default: 0] += weight
        let a = AttemptRollup(o, weight: weight)
        guard let t = o.time else {
            finalize(a)
            return weight
        }
        newest = max(newest ?? t, t)
        let key = Self.openKey(a)
        if var current = open[key] {
            if current.touches(a) {
                current.absorb(a)
                open[key] = current
            } else if t > current.end! {
                finalize(current)
                open[key] = a
            } else {
                // Late beyond the window of the open attempt: an attempt of its own.
                finalize(a)
                return weight
            }
        } else {
            open[key] = a
        }
        changes.openWritten.insert(key)
        return weight
    }

    private mutating func finalize(_ a: AttemptRollup) {
        builder.add(a)
        changes.finalized.append(a)
    }

    /// Makes final the attempts whose last record is `Incidents.settle` older than the newest
    /// failure (call once per batch).
    public mutating func settle() {
        guard let newest else { return }
        let limit = newest - Incidents.settle
        let done = open.filter { ($0.value.end ?? Int64.min) < limit }
        for (key, a) in done.sorted(by: { AttemptRollup.byStart($0.value, $1.value) }) {
            open[key] = nil
            changes.openWritten.insert(key)
            finalize(a)
        }
        builder.flush(upTo: newest - Incidents.lookahead)
    }

    /// Forgets counts, incidents and Event objects older than `horizon` (retention).
    public mutating func expire(before horizon: Int64) {
        let minute = CountKey.minute(of: horizon)!
        for (k, n) in counts where (k.minute ?? Int64.max) < minute {
            counts[k] = nil
            changes.counts[k, default: 0] -= n
        }
        changes.incidentKeys.formUnion(builder.drop(endedBefore: horizon))
        for (k, e) in eventHighs where (e.lastSeen ?? Int64.max) < horizon {
            eventHighs[k] = nil
            changes.events.insert(k)
        }
    }

    /// The changes since the last call, for the store.
    public mutating func takeChanges() -> Changes {
        var c = changes
        c.incidentKeys.formUnion(builder.takeChanged())
        (c.deferredAdded, c.deferredPlaced) = builder.takeDeferredChanges()
        changes = Changes()
        return c
    }

    /// The incidents now, with open and deferred attempts placed as if final.
    public func incidents() -> [Incident] {
        var b = builder
        for a in open.values.sorted(by: AttemptRollup.byStart) { b.add(a) }
        b.flush()
        return b.render()
    }

    /// The incidents of the given keys now (open attempts included), for incident events.
    ///
    /// Costs the open attempts and the incidents of those keys, not all incidents: each key's
    /// incidents are copied into a small builder with the key's open attempts. Open back-off
    /// attempts are left out (their cause is known only once they are final).
    public func incidents(forKeys keys: Set<String>) -> [Incident] {
        var openByKey: [String: [AttemptRollup]] = [:]
        for a in open.values where !a.backoffOnly {
            let key = Incidents.key(a)
            if keys.contains(key) { openByKey[key, default: []].append(a) }
        }
        var out: [Incident] = []
        for key in keys.sorted() {
            var b = IncidentBuilder(incidents: builder.incidents(forKey: key), recent: [])
            for a in (openByKey[key] ?? []).sorted(by: AttemptRollup.byStart) { b.add(a) }
            b.flush()
            out += b.incidents(forKey: key).map { Incidents.render($0) }
        }
        return out
    }

    /// Keys the open attempts would place incidents under (for incident events).
    public var openKeys: Set<String> { Set(open.values.map(Incidents.key)) }

    /// The report over the whole state.
    public func report(rules: RuleSet, window: TimeWindow = TimeWindow()) -> Report {
        if window.since == nil && window.until == nil {
            return Report(input: input, counts: counts, incidents: incidents(), rules: rules)
        }
        return Report(aggregate, rules: rules, window: window)
    }

    /// The state as an aggregate (open attempts not yet final).
    public var aggregate: Aggregate {
        var a = Aggregate()
        a.input = input
        a.counts = counts
        a.attempts = Array(open.values) + Array(builder.deferred)
        a.eventHighs = eventHighs
        a.incidents = builder.all
        a.recent = builder.recent
        return a
    }
}
