import Foundation
import Prometheus
import PullwatchAnalysis

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
        lines = registry.makeCounter(name: "pullwatch_ingest_lines_total", help: "Lines received by the sink.")
        bytes = registry.makeCounter(name: "pullwatch_ingest_bytes_total", help: "Bytes received by the sink, after decompression.")
        let info = registry.makeGauge(name: "pullwatch_build_info", labels: [("version", version)], help: "pullwatch build.")
        info.set(to: 1.0)
    }

    /// The registry label for `host`: itself while fewer than `registryLimit` are known.
    func registryLabel(_ host: String?) -> String {
        guard let host else { return "none" }
        lock.lock(); defer { lock.unlock() }
        if registries.contains(host) { return host }
        if registries.count < SinkMetrics.registryLimit { registries.insert(host); return host }
        return "other"
    }

    func count(_ o: IngestOutcome, observations: [Observation]) {
        lines.increment(by: Int64(o.lines))
        bytes.increment(by: Int64(o.bytes))
        for (reason, n) in o.rejected where n > 0 { rejected(reason, n) }
        for obs in observations {
            registry.makeCounter(name: "pullwatch_pull_failures_total",
                                 labels: [("node", obs.node ?? "none"), ("registry", registryLabel(obs.registry)), ("cause", obs.cause.rawValue)],
                                 help: "Image-pull failures received, by node, registry and cause.").increment()
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
