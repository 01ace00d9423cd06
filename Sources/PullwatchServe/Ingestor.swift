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

/// The sink's ingest: bodies and syslog frames are decoded and classified concurrently, on
/// the task that received them; each batch is then committed to the state database by the
/// single writer before the caller answers — so a 2xx means the lines are durable (kill -9
/// after a 204 loses nothing).
public actor Ingestor {
    private let store: StateStore
    private let rules: RuleSet
    /// Everything received, as rollups (the store holds the same, durably).
    private var state: LiveState
    private let retention: Int64
    private var lastExpiry: Int64 = 0
    /// Match scratches (PCRE2 match data and the classification cache) of the request tasks.
    private nonisolated let scratches = ScratchPool()
    public let metrics: SinkMetrics
    private let keys: RecordKeys
    private var pending = 0
    private let limits: ServeLimits
    /// Incident events and the open incidents (metrics), as `follow` has them.
    private var tracker: IncidentTracker

    public init(store: StateStore, rules: RuleSet, metrics: SinkMetrics, limits: ServeLimits, keys: RecordKeys = RecordKeys(),
                retention: Int64 = 14 * 86_400 * 1_000_000_000) throws {
        self.store = store
        self.rules = rules
        self.metrics = metrics
        self.limits = limits
        self.keys = keys
        self.retention = retention
        state = try store.load()
        tracker = IncidentTracker(incidents: state.incidents(), now: Int64(Date().timeIntervalSince1970 * 1e9), retention: retention)
        metrics.preload(state)
        metrics.incidents(events: [], open: tracker.open)
    }

    /// Reserves room for a batch; false when the queue is full (answer 503). Every admitted
    /// batch is given back with `release()`.
    public func admit() -> Bool {
        guard pending < limits.maxPending else { return false }
        pending += 1
        return true
    }

    /// Gives back the room taken by `admit()`.
    public func release() { pending -= 1 }

    /// Decodes, classifies and commits an admitted batch of decoded bytes (NDJSON, a JSON
    /// array, or text lines). Lines without any rule literal are counted but not parsed, as
    /// in `scan`.
    public nonisolated func ingest(_ body: [UInt8], source: String) async throws -> IngestOutcome {
        let session = self.session(source: source)
        body.withUnsafeBytes { session.feed($0) }
        return try await ingest(session)
    }

    /// A body to be fed as its parts arrive (`BodySession.feed`), then committed whole with
    /// `ingest(_:)`.
    public nonisolated func session(source: String) -> BodySession {
        BodySession(source: source, rules: rules, keys: keys, scratches: scratches)
    }

    /// Commits what `session` decoded (all of it, or nothing when the commit fails).
    public nonisolated func ingest(_ session: BodySession) async throws -> IngestOutcome {
        var (outcome, batch, observations) = session.finish()
        let failures = try await commit(&batch, observations: observations)
        metrics.count(outcome, failures: failures)
        outcome.failures = failures.values.reduce(0, +)
        return outcome
    }

    /// Adds the batch's failures to the live state and commits; returns the failures by node,
    /// registry and cause (for the metrics).
    private func commit(_ batch: inout StateStore.Batch, observations: [Observation]) throws -> [CountKey: Int] {
        var failures: [CountKey: Int] = [:]
        for o in observations {
            let n = state.add(o)
            if n > 0 {
                failures[CountKey.metricLabels(o), default: 0] += n
            }
        }
        state.settle()
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        if now - lastExpiry >= 60_000_000_000 {
            lastExpiry = now
            state.expire(before: min(now, state.newest ?? now) - retention)
        }
        let openKeys = state.openKeys
        let changes = try store.commit(batch, state: &state)
        var keys = changes.incidentKeys
        if !changes.openWritten.isEmpty { keys.formUnion(openKeys) }
        keys = tracker.keysToExamine(keys, now: now)
        if !keys.isEmpty {
            metrics.incidents(events: tracker.events(state.incidents(forKeys: keys), now: now), open: tracker.open)
        }
        return failures
    }

    /// Without traffic no commit looks at the open incidents: the sink calls this every
    /// `IncidentTracker.resolveCheckInterval` so quiet ones are resolved (and the gauges fall).
    public func tick() {
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        let keys = tracker.keysToExamine([], now: now)
        guard !keys.isEmpty else { return }
        metrics.incidents(events: tracker.events(state.incidents(forKeys: keys), now: now), open: tracker.open)
    }

    /// The scan report over everything received (`GET /v1/report`), from the rollups.
    public func reportJSON() -> String {
        JSONReport.render(state.report(rules: rules))
    }

    /// The incidents (`GET /v1/incidents`), as a JSON array.
    public func incidentsJSON() -> String {
        let incidents = state.incidents()
        return "[" + incidents.map { JSONReport.incident($0, rules: rules) }.joined(separator: ",\n ") + "]\n"
    }
}

/// One body (an HTTP request's, a syslog burst) framed, decoded and classified as its bytes
/// arrive, on the task that receives them; `Ingestor.ingest(_:)` commits it once it is whole.
/// What it holds is the framer's unfinished line and the failures found so far, not the body.
/// Not thread-safe: one task feeds it.
public final class BodySession: @unchecked Sendable {
    private let framer: LineFramer
    private var blocks: BlockDecoder
    private var summary = IngestSummary()
    private let scratch: MatchScratch
    private let scratches: ScratchPool
    private let limitHitsBefore: Int
    private let rules: RuleSet
    private var observations: [Observation] = []
    private var records = 0
    /// Bytes fed so far (after any gzip decoding).
    public private(set) var bytes = 0
    private var finished = false

    init(source: String, rules: RuleSet, keys: RecordKeys, scratches: ScratchPool) {
        // Years for yearless syslog timestamps are inferred relative to the time of arrival.
        let options = DecoderOptions(keys: keys)
        blocks = BlockDecoder(decoder: RecordDecoder(source: source, options: options), gate: rules.gate.search)
        framer = LineFramer(maxLineBytes: options.maxLineBytes)
        self.rules = rules
        self.scratches = scratches
        // A scratch from the pool: its classification cache outlives the request, as a retry
        // storm sends the same messages from every node again and again.
        scratch = scratches.take()
        limitHitsBefore = scratch.limitHits
    }

    deinit {
        if !finished { scratches.give(scratch) }
    }

    private func classify(_ record: Record) {
        records += 1
        if let c = rules.classify(record, scratch: scratch) {
            observations.append(Observation(record: record, classification: c))
        }
    }

    /// Frames, decodes and classifies the complete lines of `part` (the rest waits for the next).
    public func feed(_ part: UnsafeRawBufferPointer) {
        bytes += part.count
        framer.feed(part) { blocks.process($0, summary: &summary, emit: classify) }
    }

    /// The last line, the decoder's pending records, and the batch to commit.
    func finish() -> (IngestOutcome, StateStore.Batch, [Observation]) {
        framer.finish { blocks.process($0, summary: &summary, emit: classify) }
        blocks.decoder.finish(emit: classify)
        let decoder = blocks.decoder
        var outcome = IngestOutcome()
        var batch = StateStore.Batch()
        outcome.rejected["too_long"] = framer.stats.truncatedLines
        outcome.rejected["malformed_json"] = decoder.malformedJSON
        outcome.lines = framer.stats.lines
        outcome.bytes = bytes
        outcome.records = records
        batch.lines = outcome.lines
        batch.bytes = UInt64(outcome.bytes)
        batch.records = records
        batch.candidateLines = summary.decodedLines
        batch.limitHits = scratch.limitHits - limitHitsBefore
        batch.errors = (summary.errors + decoder.errors).prefix(100).map(InputProblem.init)
        finished = true
        scratches.give(scratch)
        return (outcome, batch, observations)
    }
}

/// Match scratches for concurrent requests: each request takes one and gives it back, so the
/// per-worker classification cache is reused across requests.
final class ScratchPool: @unchecked Sendable {
    // `free` is guarded by `lock`.
    private let lock = NSLock()
    private var free: [MatchScratch] = []

    func take() -> MatchScratch {
        lock.lock(); defer { lock.unlock() }
        return free.popLast() ?? MatchScratch()
    }

    func give(_ s: MatchScratch) {
        lock.lock(); defer { lock.unlock() }
        free.append(s)
    }
}
