import Foundation
import PullwatchIO
import PullwatchRecords
import PullwatchRules
import PullwatchAnalysis
import PullwatchState

/// An incident event for the follow output.
public struct IncidentEvent: Sendable {
    public enum Kind: String, Sendable {
        case opened = "incident_opened", updated = "incident_updated", resolved = "incident_resolved"
        /// The `event` label of `pullwatch_incident_events_total`.
        public var metricLabel: String { String(rawValue.dropFirst("incident_".count)) }
    }
    public var kind: Kind
    public var incident: Incident
}

/// Which incidents changed how, from one commit to the next: `incident_opened` when an
/// incident id is first seen; `incident_updated` when its records grew, at most once per
/// `updateInterval` (30 s) per incident; `incident_resolved` once no failure was seen for
/// `Incidents.quietGap` (30 min, the same gap that ends an incident, so a resolved incident
/// cannot continue). An incident first seen already quiet (a replay of old lines) is announced
/// as `incident_resolved` at once, with its first and last seen. Looks only at the incidents a
/// commit touched (and, every `resolveCheckInterval`, at the open ones), never at all history.
/// One tracker serves `follow` (its event output) and `serve`, and keeps the open incidents per
/// metric labels (`pullwatch_incidents_open`).
public struct IncidentTracker: Sendable {
    public static let updateInterval: Int64 = 30_000_000_000
    /// Without new failures, open incidents are only re-examined (for resolutions) this often.
    public static let resolveCheckInterval: Int64 = 10_000_000_000
    /// Incidents announced: records at the last event, when, whether resolved, key, last seen,
    /// and the metric labels it is counted under while open.
    private struct Known: Sendable {
        var records: Int; var lastEmitted: Int64; var resolved: Bool; var key: String; var lastSeen: Int64?
        var labels: OpenIncidentLabels?
    }
    private var known: [String: Known] = [:]
    private var lastCheck: Int64 = 0
    private let retention: Int64
    /// Open incidents by (cause, registry, scope); a label set whose count fell to 0 stays (at 0).
    public private(set) var open: [OpenIncidentLabels: Int] = [:]

    /// Incidents already in the state are known: no events for them; the open ones are counted.
    public init(incidents: [Incident], now: Int64, retention: Int64) {
        self.retention = retention
        for i in incidents {
            let quiet = now - (i.lastSeen ?? now) > Incidents.quietGap
            var k = Known(records: i.records, lastEmitted: now, resolved: quiet, key: Self.key(i), lastSeen: i.lastSeen)
            if !quiet { k.labels = OpenIncidentLabels(i); open[k.labels!, default: 0] += 1 }
            known[i.id] = k
        }
    }

    static func key(_ i: Incident) -> String {
        var key = i.cause.rawValue + "\u{1F}" + (i.registry ?? "")
        if !Incidents.registryCauses.contains(i.cause) { key += "\u{1F}" + (i.repository ?? "") }
        return key
    }

    /// The incident keys to look at after a commit that changed `changed`: those, and every
    /// `resolveCheckInterval` the open ones that have gone quiet.
    public mutating func keysToExamine(_ changed: Set<String>, now: Int64) -> Set<String> {
        var keys = changed
        if now - lastCheck >= Self.resolveCheckInterval {
            lastCheck = now
            for k in known.values where !k.resolved {
                if now - (k.lastSeen ?? now) > Incidents.quietGap { keys.insert(k.key) }
            }
            // Resolved incidents long past can no longer change: forget them.
            let retention = self.retention
            known = known.filter { !$0.value.resolved || now - ($0.value.lastSeen ?? now) <= 2 * Incidents.quietGap + retention }
        }
        return keys
    }

    /// The events for `incidents` (as they stand after the commit).
    public mutating func events(_ incidents: [Incident], now: Int64) -> [IncidentEvent] {
        var out: [IncidentEvent] = []
        for i in incidents {
            let quiet = now - (i.lastSeen ?? now) > Incidents.quietGap
            if var k = known[i.id] {
                k.lastSeen = i.lastSeen
                if k.resolved { known[i.id] = k; continue }
                if quiet {
                    k.resolved = true
                    if let l = k.labels { open[l, default: 1] -= 1; k.labels = nil }
                    out.append(IncidentEvent(kind: .resolved, incident: i))
                } else {
                    // An incident's scope can widen (image → registry) while it is open.
                    let labels = OpenIncidentLabels(i)
                    if labels != k.labels {
                        if let l = k.labels { open[l, default: 1] -= 1 }
                        open[labels, default: 0] += 1
                        k.labels = labels
                    }
                    if i.records > k.records && now - k.lastEmitted >= Self.updateInterval {
                        k.records = i.records
                        k.lastEmitted = now
                        out.append(IncidentEvent(kind: .updated, incident: i))
                    }
                }
                known[i.id] = k
            } else {
                var k = Known(records: i.records, lastEmitted: now, resolved: quiet, key: Self.key(i), lastSeen: i.lastSeen)
                if !quiet { k.labels = OpenIncidentLabels(i); open[k.labels!, default: 0] += 1 }
                known[i.id] = k
                out.append(IncidentEvent(kind: quiet ? .resolved : .opened, incident: i))
            }
        }
        return out
    }
}

/// The labels of `pullwatch_incidents_open`: cause, registry (as the metrics bound it) and scope.
public struct OpenIncidentLabels: Hashable, Sendable {
    public var cause: String
    public var registry: String?
    public var scope: String
    init(_ i: Incident) { cause = i.cause.rawValue; registry = i.registry; scope = i.scope.rawValue }
}

/// The live loop of `follow`: classify new records into the live state, commit its changes
/// with the checkpoints in one transaction, and turn incident changes into events
/// (`IncidentTracker`).
public final class LiveAggregator {
    private let store: StateStore
    public private(set) var rules: RuleSet
    private let scratch = MatchScratch()
    public private(set) var state: LiveState
    public private(set) var tracker: IncidentTracker
    private var limitHitsCounted = 0
    private var lastExpiry: Int64 = 0
    /// Counts, incidents and Event objects older than this are forgotten.
    public let retention: Int64

    /// Loads what the store holds; incidents already there are known (no events for them).
    public init(store: StateStore, rules: RuleSet, now: Int64, retention: Int64 = 14 * 86_400 * 1_000_000_000) throws {
        self.store = store
        self.rules = rules
        self.retention = retention
        state = try store.load()
        tracker = IncidentTracker(incidents: state.incidents(), now: now, retention: retention)
    }

    /// Swaps in reloaded rules.
    public func setRules(_ rules: RuleSet) { self.rules = rules }

    /// Classifies a record into the live state (committed with the batch).
    public func add(_ record: Record, to batch: inout StateStore.Batch) {
        guard let c = rules.classify(record, scratch: scratch) else { return }
        let o = Observation(record: record, classification: c)
        let weight = state.add(o)
        if weight > 0 {
            batch.failures[CountKey.metricLabels(o), default: 0] += weight
        }
    }

    /// Called with every batch once it is committed, with its incident events and the open
    /// incidents by label (metrics).
    public var onCommit: ((StateStore.Batch, [IncidentEvent], [OpenIncidentLabels: Int]) -> Void)?

    /// With nothing to commit: the events of open incidents that went quiet (checked every
    /// `IncidentTracker.resolveCheckInterval`).
    public func idle(now: Int64) -> [IncidentEvent] {
        let keys = tracker.keysToExamine([], now: now)
        guard !keys.isEmpty else { return [] }
        let events = tracker.events(state.incidents(forKeys: keys), now: now)
        onCommit?(StateStore.Batch(), events, tracker.open)
        return events
    }

    /// Commits the batch (atomically with its checkpoints) and returns the incident events.
    public func commit(_ batch: inout StateStore.Batch, now: Int64) throws -> [IncidentEvent] {
        batch.limitHits += scratch.limitHits - limitHitsCounted
        limitHitsCounted = scratch.limitHits
        state.settle()
        if now - lastExpiry >= 60_000_000_000 {
            lastExpiry = now
            state.expire(before: min(now, state.newest ?? now) - retention)
        }
        let openKeys = state.openKeys
        let changes = try store.commit(batch, state: &state)
        var keys = changes.incidentKeys
        if !changes.openWritten.isEmpty { keys.formUnion(openKeys) }
        keys = tracker.keysToExamine(keys, now: now)
        let events = keys.isEmpty ? [] : tracker.events(state.incidents(forKeys: keys), now: now)
        onCommit?(batch, events, tracker.open)
        batch = StateStore.Batch()
        return events
    }
}
