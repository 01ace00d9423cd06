import Foundation
import PullwatchIO
import PullwatchRecords
import PullwatchRules

/// How a scan runs.
public struct ScanOptions: Sendable {
    /// Files read at once (default: the number of cores).
    public var jobs: Int
    /// Record decoding options.
    public var decoder: DecoderOptions
    /// Whether to skip lines without any rule literal (default true; false parses every line).
    public var useGate: Bool

    public init(jobs: Int = ProcessInfo.processInfo.activeProcessorCount, decoder: DecoderOptions = DecoderOptions(),
                useGate: Bool = true) {
        self.jobs = max(1, jobs)
        self.decoder = decoder
        self.useGate = useGate
    }
}

/// Batch scanning: one worker per file, each with its own aggregate and match scratch; the
/// aggregates merge in input order, so the result does not depend on `jobs`.
public enum BatchScanner {
    /// Bytes read so far by all workers (for progress display).
    public final class Progress: @unchecked Sendable {
        // Guarded by `lock`; read from a display thread, written by workers.
        private let lock = NSLock()
        private var _bytes: UInt64 = 0
        private var _done = 0
        public init() {}
        func add(bytes: UInt64) { lock.lock(); _bytes += bytes; lock.unlock() }
        func finishedSource() { lock.lock(); _done += 1; lock.unlock() }
        public var bytes: UInt64 { lock.lock(); defer { lock.unlock() }; return _bytes }
        public var sourcesDone: Int { lock.lock(); defer { lock.unlock() }; return _done }
    }

    /// Scans `sources` with `rules`.
    public static func scan(_ sources: [InputSource], rules: RuleSet, options: ScanOptions = ScanOptions(),
                            progress: Progress? = nil, pipelining: InflatePipelining = .off) -> Aggregate {
        final class Results: @unchecked Sendable {
            // Each index is written by exactly one worker; `next` is guarded by `lock`.
            var aggregates: [Aggregate]
            var next = 0
            let lock = NSLock()
            init(_ n: Int) { aggregates = Array(repeating: Aggregate(), count: n) }
            func take() -> Int? {
                lock.lock(); defer { lock.unlock() }; guard next < aggregates.count else { return nil }; next += 1; return next - 1
            }
        }
        let results = Results(sources.count)
        let workers = min(options.jobs, max(sources.count, 1))
        let pipelining = InflatePipelining.forBatch(jobs: options.jobs, files: sources.count)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let scratch = MatchScratch()
            while let i = results.take() {
                let a = scanOne(sources[i], rules: rules, options: options, scratch: scratch, progress: progress, pipelining: pipelining)
                results.lock.lock(); results.aggregates[i] = a; results.lock.unlock()
                progress?.finishedSource()
            }
        }
        var total = Aggregate()
        for a in results.aggregates { total.merge(a) }
        return total
    }

    static func scanOne(_ source: InputSource, rules: RuleSet, options: ScanOptions, scratch: MatchScratch,
                        progress: Progress? = nil, pipelining: InflatePipelining = .off) -> Aggregate {
        var a = Aggregate()
        let gate = rules.gate
        let limitsBefore = scratch.limitHits
        let summary = Ingest.read(source, options: options.decoder, pipelining: pipelining,
                                  gate: options.useGate ? gate.search : nil,
                                  progress: progress.map { p in { p.add(bytes: UInt64($0)) } }) { record in
            if let c = rules.classify(record, scratch: scratch) {
                a.add(Observation(record: record, classification: c))
            }
        }
        a.input.sources = 1
        a.input.bytes = summary.bytes
        a.input.lines = summary.lines
        a.input.records = summary.records
        a.input.candidateLines = summary.decodedLines
        a.input.limitHits = scratch.limitHits - limitsBefore
        a.input.errors = summary.errors.map(InputProblem.init)
        return a
    }
}
