import Foundation
import PullwatchIO
import PullwatchRecords
import PullwatchRules
import PullwatchAnalysis
import PullwatchState

/// An incident event for the follow output.
public struct IncidentEvent: Sendable {
    public enum Kind: String, Sendable { case opened = "incident_opened", updated = "incident_updated", resolved = "incident_resolved" }
    public var kind: Kind
    public var incident: Incident
}

/// The live loop of `follow`: classify new records into the live state, commit its changes
/// with the checkpoints in one transaction, and turn incident changes into events — looking
/// only at the incidents the batch touched (and, every `resolveCheckInterval`, at the open
/// ones), never at all history.
///
/// Events: `incident_opened` when an incident id is first seen; `incident_updated` when its
/// records grew, at most once per `updateInterval` (30 s) per incident; `incident_resolved`
/// once no failure was seen for `Incidents.quietGap` (30 min, the same gap that ends an
/// incident, so a resolved incident cannot continue). An incident first seen already quiet (a
/// replay of old lines) is announced as `incident_resolved` at once, with its first and last
/// seen.
public final class LiveAggregator {
    public static let updateInterval: Int64 = 30_000_000_000
    /// Without new failures, open incidents are only re-examined (for resolutions) this often.
    public static let resolveCheckInterval: Int64 = 10_000_000_000
    private let store: StateStore
    public private(set) var rules: RuleSet
    private let scratch = MatchScratch()
    public private(set) var state: LiveState
    /// Incidents announced: records at the last event, when, whether resolved, key, last seen.
    private struct Known { var records: Int; var lastEmitted: Int64; var resolved: Bool; var key: String; var lastSeen: Int64? }
    private var known: [String: Known] = [:]
    private var limitHitsCounted = 0
    private var lastCheck: Int64 = 0
    private var lastExpiry: Int64 = 0
    /// Counts, incidents and Event objects older than this are forgotten.
    public let retention: Int64

    /// Loads what the store holds; incidents already there are known (no events for them).
    public init(store: StateStore, rules: RuleSet, now: Int64, retention: Int64 = 14 * 86_400 * 1_000_000_000) throws {
        self.store = store
        self.rules = rules
        self.retention = retention
        state = try store.load()
        for i in state.incidents() {
            let quiet = now - (i.lastSeen ?? now) > Incidents.quietGap
            known[i.id] = Known(records: i.records, lastEmitted: now, resolved: quiet, key: Self.key(i), lastSeen: i.lastSeen)
        }
    }

    static func key(_ i: Incident) -> String {
        var key = i.cause.rawValue + "\u{1F}" + (i.registry ?? "")
        if !Incidents.registryCauses.contains(i.cause) { key += "\u{1F}" + (i.repository ?? "") }
        return key
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

    /// Called with every batch once it is committed (metrics).
    public var onCommit: ((StateStore.Batch) -> Void)?

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
        onCommit?(batch)
        batch = StateStore.Batch()
        var keys = changes.incidentKeys
        if !changes.openWritten.isEmpty { keys.formUnion(openKeys) }
        if now - lastCheck >= LiveAggregator.resolveCheckInterval {
            lastCheck = now
            for k in known.values where !k.resolved {
                if now - (k.lastSeen ?? now) > Incidents.quietGap { keys.insert(k.key) }
            }
            // Resolved incidents long past can no longer change: forget them.
            known = known.filter { !$0.value.resolved || now - ($0.value.lastSeen ?? now) <= 2 * Incidents.quietGap + retention }
        }
        guard !keys.isEmpty else { return [] }
        return events(state.incidents(forKeys: keys), now: now)
    }

    private func events(_ incidents: [Incident], now: Int64) -> [IncidentEvent] {
        var out: [IncidentEvent] = []
        for i in incidents {
            let quiet = now - (i.lastSeen ?? now) > Incidents.quietGap
            if var k = known[i.id] {
                k.lastSeen = i.lastSeen
                if k.resolved { known[i.id] = k; continue }
                if quiet {
                    k.resolved = true
                    out.append(IncidentEvent(kind: .resolved, incident: i))
                } else if i.records > k.records && now - k.lastEmitted >= LiveAggregator.updateInterval {
                    k.records = i.records
                    k.lastEmitted = now
                    out.append(IncidentEvent(kind: .updated, incident: i))
                }
                known[i.id] = k
            } else {
                known[i.id] = Known(records: i.records, lastEmitted: now, resolved: quiet, key: Self.key(i), lastSeen: i.lastSeen)
                out.append(IncidentEvent(kind: quiet ? .resolved : .opened, incident: i))
            }
        }
        return out
    }
}
