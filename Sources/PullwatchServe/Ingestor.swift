import Foundation
import PullwatchAnalysis
import PullwatchFollow
import PullwatchIO
import PullwatchRecords
import PullwatchReport
import PullwatchRules
import PullwatchState

/// Limits of the sink, with their defaults (docs/limits.md).
public struct ServeLimits: Sendable {
    /// Largest request body as sent (compressed or not): 16 MiB → 413.
    public var maxBodyBytes = 16 << 20
    /// Largest body after gzip decoding: 128 MiB → 413.
    public var maxDecodedBytes = 128 << 20
    /// Decompression ratio limit for gzip bodies (a bomb is refused early) → 413.
    public var ratioLimit = DecompressionRatioLimit.network
    /// Batches accepted but not yet committed; beyond it the sink answers 503 + Retry-After.
    public var maxPending = 32
    /// Seconds a client may take to send its request before the connection is closed.
    public var readTimeout: Int64 = 30
    public init() {}
}

/// What happened to one body.
public struct IngestOutcome: Sendable {
    public var lines = 0
    public var bytes = 0
    public var records = 0
    public var failures = 0
    /// Lines skipped, by reason (`malformed_json`, `too_long`).
    public var rejected: [String: Int] = [:]
}

/// The single writer of the sink: turns bodies and syslog frames into records, classifies
/// them, and commits each batch to the state database before the caller answers — so a 2xx
/// means the lines are durable (kill -9 after a 204 loses nothing).
public actor Ingestor {
    private let live: LiveAggregator
    private let store: StateStore
    public let metrics: SinkMetrics
    private let keys: RecordKeys
    private var pending = 0
    private let limits: ServeLimits

    public init(store: StateStore, rules: RuleSet, metrics: SinkMetrics, limits: ServeLimits, keys: RecordKeys = RecordKeys()) throws {
        self.store = store
        self.live = try LiveAggregator(store: store, rules: rules, now: Int64(Date().timeIntervalSince1970 * 1e9))
        self.metrics = metrics
        self.limits = limits
        self.keys = keys
    }

    /// Reserves room for a batch; false when the queue is full (answer 503).
    public func admit() -> Bool {
        guard pending < limits.maxPending else { return false }
        pending += 1
        return true
    }

    /// Processes an admitted batch of decoded bytes (NDJSON, a JSON array, or text lines).
    public func ingest(_ body: [UInt8], source: String) throws -> IngestOutcome {
        defer { pending -= 1 }
        var outcome = IngestOutcome()
        var batch = StateStore.Batch()
        var records: [Record] = []
        // Years for yearless syslog timestamps are inferred relative to the time of arrival.
        let options = DecoderOptions(keys: keys)
        let decoder = RecordDecoder(source: source, options: options)
        let framer = LineFramer(maxLineBytes: options.maxLineBytes)
        let reader = ChunkedReader(body)
        try framer.frame(reader) { block in
            block.forEachLine { line in
                if line.truncated { outcome.rejected["too_long", default: 0] += 1 }
                decoder.decode(line) { records.append($0) }
            }
        }
        decoder.finish { records.append($0) }
        outcome.rejected["malformed_json", default: 0] += decoder.malformedJSON
        outcome.lines = framer.stats.lines
        outcome.bytes = body.count
        outcome.records = records.count
        for r in records { live.add(r, to: &batch) }
        outcome.failures = batch.observations.count
        batch.lines = outcome.lines
        batch.bytes = UInt64(outcome.bytes)
        batch.records = outcome.records
        batch.errors = decoder.errors.prefix(100).map(InputProblem.init)
        let observations = batch.observations
        _ = try live.commit(&batch, now: Int64(Date().timeIntervalSince1970 * 1e9))
        metrics.count(outcome, observations: observations)
        return outcome
    }

    /// The scan report over everything received (`GET /v1/report`).
    public func reportJSON() throws -> String {
        JSONReport.render(Report(try store.aggregate(), rules: live.rules))
    }

    /// The incidents (`GET /v1/incidents`), as a JSON array.
    public func incidentsJSON() throws -> String {
        let incidents = Report(try store.aggregate(), rules: live.rules).incidents
        return "[" + incidents.map(JSONReport.incident).joined(separator: ",\n ") + "]\n"
    }
}
