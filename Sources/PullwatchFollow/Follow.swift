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

/// The live loop shared by `follow` (and later `serve`): read new records, classify them,
/// commit observations and checkpoints in one transaction, and turn incident changes into
/// events.
///
/// Events: `incident_opened` when an incident id is first seen; `incident_updated` when its
/// records grew, at most once per `updateInterval` (30 s) per incident; `incident_resolved`
/// once no failure was seen for `Incidents.quietGap` (30 min, the same gap that ends an
/// incident, so a resolved incident cannot continue).
public final class LiveAggregator {
    public static let updateInterval: Int64 = 30_000_000_000
    private let store: StateStore
    public private(set) var rules: RuleSet
    private let scratch = MatchScratch()
    private var aggregate: Aggregate
    private var known: [String: (records: Int, lastEmitted: Int64, resolved: Bool)] = [:]
    private var pendingChange = false
    private var limitHitsCounted = 0
    private var lastCheck: Int64 = 0
    /// Without new failures, incidents are only re-examined (for resolutions) this often.
    public static let resolveCheckInterval: Int64 = 10_000_000_000

    /// Loads what the store holds; incidents already there are known (no events for them).
    public init(store: StateStore, rules: RuleSet, now: Int64) throws {
        self.store = store
        self.rules = rules
        aggregate = try store.aggregate()
        for i in Report(aggregate, rules: rules).incidents {
            let quiet = now - (i.lastSeen ?? now) > Incidents.quietGap
            known[i.id] = (i.records, now, quiet)
        }
    }

    /// Swaps in reloaded rules.
    public func setRules(_ rules: RuleSet) { self.rules = rules }

    /// Classifies a record into the batch.
    public func add(_ record: Record, to batch: inout StateStore.Batch) {
        if let c = rules.classify(record, scratch: scratch) {
            batch.observations.append(Observation(record: record, classification: c))
        }
    }

    /// Called with every batch once it is committed (metrics).
    public var onCommit: ((StateStore.Batch) -> Void)?

    /// Commits the batch (atomically with its checkpoints) and returns the incident events.
    public func commit(_ batch: inout StateStore.Batch, now: Int64) throws -> [IncidentEvent] {
        batch.limitHits += scratch.limitHits - limitHitsCounted
        limitHitsCounted = scratch.limitHits
        try store.commit(batch)
        onCommit?(batch)
        if !batch.observations.isEmpty { pendingChange = true }
        aggregate.observations += batch.observations
        aggregate.input.bytes += batch.bytes
        aggregate.input.lines += batch.lines
        batch = StateStore.Batch()
        return events(now: now)
    }

    private func events(now: Int64) -> [IncidentEvent] {
        var out: [IncidentEvent] = []
        let hasOpen = known.values.contains { !$0.resolved }
        guard pendingChange || (hasOpen && now - lastCheck >= LiveAggregator.resolveCheckInterval) else { return out }
        pendingChange = false
        lastCheck = now
        for i in Report(aggregate, rules: rules).incidents {
            let quiet = now - (i.lastSeen ?? now) > Incidents.quietGap
            if var k = known[i.id] {
                if k.resolved { continue }
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
                known[i.id] = (i.records, now, quiet)
                if !quiet { out.append(IncidentEvent(kind: .opened, incident: i)) }
            }
        }
        return out
    }
}
