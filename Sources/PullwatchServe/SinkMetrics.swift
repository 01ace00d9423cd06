import Foundation
import PullwatchState
import Prometheus
import PullwatchAnalysis
import PullwatchFollow

/// The sink's Prometheus metrics (swift-prometheus). Labels are few and bounded: node,
/// registry (the first `registryLimit` registries seen, then `other`) and cause — never
/// image, pod or message text.
public final class SinkMetrics: @unchecked Sendable {
    // `registries` is guarded by `lock`; the Prometheus registry is thread-safe itself.
    public let registry = PrometheusCollectorRegistry()
    public static let registryLimit = 20
    private let lock = NSLock()
    private var registries = Set<String>()
    private let lines: Counter
    private let bytes: Counter

    public init(version: String) {
        lines = registry.makeCounter(name: "pullwatch_ingest_lines_total", help: "Lines read or received.")
        bytes = registry.makeCounter(name: "pullwatch_ingest_bytes_total", help: "Bytes read or received, after decompression.")
        let info = registry.makeGauge(name: "pullwatch_build_info", labels: [("version", version)], help: "pullwatch build.")
        info.set(to: 1.0)
        // Every reason and event from the start, at 0: rate() and alerts see a series before
        // the first rejection or incident.
        for reason in Self.rejectReasons { rejected(reason, 0) }
        for event in ["opened", "updated", "resolved"] {
            registry.makeCounter(name: "pullwatch_incident_events_total", labels: [("event", event)],
                                 help: "Incident events: opened, updated, resolved.").increment(by: Int64(0))
        }
    }

    /// The reasons `pullwatch_ingest_rejected_total` counts (docs/serve.md).
    public static let rejectReasons = ["unauthorized", "too_large", "bad_gzip", "incomplete_body", "queue_full", "commit_failed",
                                       "too_long", "malformed_json"]

    /// The registry label for `host`: itself while fewer than `registryLimit` are known.
    func registryLabel(_ host: String?) -> String {
        guard let host else { return "none" }
        lock.lock(); defer { lock.unlock() }
        if registries.contains(host) { return host }
        if registries.count < SinkMetrics.registryLimit { registries.insert(host); return host }
        return "other"
    }

    func count(_ o: IngestOutcome, failures: [CountKey: Int]) {
        lines.increment(by: Int64(o.lines))
        bytes.increment(by: Int64(o.bytes))
        for (reason, n) in o.rejected where n > 0 { rejected(reason, n) }
        countFailures(failures)
    }

    /// Counts a batch `follow` committed.
    public func count(committed batch: StateStore.Batch) {
        lines.increment(by: Int64(batch.lines))
        bytes.increment(by: Int64(clamping: batch.bytes))
        countFailures(batch.failures)
    }

    /// Starts the counters from what the state database already holds, so a restarted sink
    /// goes on from its durable totals instead of from zero.
    public func preload(_ state: LiveState) {
        lines.increment(by: Int64(state.input.lines))
        bytes.increment(by: Int64(clamping: state.input.bytes))
        countFailures(state.counts)
    }

    private func countFailures(_ failures: [CountKey: Int]) {
        var counts: [[String]: Int64] = [:]
        for (k, n) in failures where n > 0 {
            counts[[k.node ?? "none", registryLabel(k.registry), k.cause.rawValue], default: 0] += Int64(n)
        }
        for (labels, n) in counts {
            registry.makeCounter(name: "pullwatch_pull_failures_total",
                                 labels: [("node", labels[0]), ("registry", labels[1]), ("cause", labels[2])],
                                 help: "Image-pull failures received, by node, registry and cause.").increment(by: n)
        }
    }

    /// The label sets `pullwatch_incidents_open` has been given (set to 0 once none is open).
    private var openSeries = Set<[String]>()

    /// Counts incident events and sets the open-incident gauges after a commit.
    public func incidents(events: [IncidentEvent], open: [OpenIncidentLabels: Int]) {
        for e in events {
            registry.makeCounter(name: "pullwatch_incident_events_total", labels: [("event", e.kind.metricLabel)],
                                 help: "Incident events: opened, updated, resolved.").increment()
        }
        var gauges: [[String]: Int] = [:]
        for (l, n) in open where n > 0 {
            gauges[[l.cause, registryLabel(l.registry), l.scope], default: 0] += n
        }
        lock.lock()
        let stale = openSeries.subtracting(gauges.keys)
        openSeries.formUnion(gauges.keys)
        lock.unlock()
        for labels in stale { gauges[labels] = 0 }
        for (labels, n) in gauges {
            registry.makeGauge(name: "pullwatch_incidents_open",
                               labels: [("cause", labels[0]), ("registry", labels[1]), ("scope", labels[2])],
                               help: "Incidents open now (a failure within the last 30 minutes), by cause, registry and scope.")
                .set(to: Double(n))
        }
    }

    /// Counts a rejected request or line.
    public func rejected(_ reason: String, _ n: Int = 1) {
        registry.makeCounter(name: "pullwatch_ingest_rejected_total", labels: [("reason", reason)],
                             help: "Requests or lines the sink refused or skipped, by reason.").increment(by: Int64(n))
    }

    /// The exposition text.
    public func render() -> String { registry.emitToString() }
}
