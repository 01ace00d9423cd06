import Foundation
import PullwatchIO
import PullwatchRecords
import PullwatchRules
import PullwatchState
import Subprocess

/// Signals of a live mode, set by handlers, read by the loop: SIGINT/SIGTERM stop it, SIGHUP
/// asks for the rules to be reloaded.
public final class FollowSignals: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var _stop = false, _reload = false
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    /// Installs the handlers (the signals are ignored by default delivery from then on).
    public func install() {
        for (sig, action) in [(SIGINT, 0), (SIGTERM, 0), (SIGHUP, 1)] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                lock.lock()
                if action == 0 { _stop = true } else { _reload = true }
                lock.unlock()
            }
            source.resume()
            sources.append(source)
        }
    }

    public var stop: Bool { lock.lock(); defer { lock.unlock() }; return _stop }

    /// Whether a reload was asked for since the last call.
    public func takeReload() -> Bool { lock.lock(); defer { lock.unlock() }; let r = _reload; _reload = false; return r }
}

/// The loop of `follow`, whatever the source: read new records, classify and commit them with
/// their checkpoints (`LiveAggregator`), hand the incident events to `emit`, reload the rules
/// on SIGHUP, stop on SIGINT/SIGTERM after a last commit. The CLI only chooses the source and
/// how events and messages are written.
public final class FollowLoop: @unchecked Sendable {
    // Used from one thread or task at a time (the loop's), hence @unchecked Sendable.
    let live: LiveAggregator
    let signals: FollowSignals
    /// New rules after SIGHUP, or nil to keep the old ones (the caller says why).
    let reloadRules: () -> RuleSet?
    /// Incident events of each commit.
    let emit: ([IncidentEvent]) -> Void
    /// Sources whose gate follows the rules.
    private var setGate: ((LiteralSet?) -> Void)?

    public init(live: LiveAggregator, signals: FollowSignals, reloadRules: @escaping () -> RuleSet?,
                emit: @escaping ([IncidentEvent]) -> Void) {
        self.live = live; self.signals = signals; self.reloadRules = reloadRules; self.emit = emit
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }

    /// SIGHUP: reload the rules into the classifier and the source's gate.
    func reloadIfAsked() {
        guard signals.takeReload(), let rules = reloadRules() else { return }
        setGate?(rules.gate.search)
        live.setRules(rules)
    }

    private func commit(_ batch: inout StateStore.Batch) throws {
        emit(try live.commit(&batch, now: Self.now()))
    }

    /// Follows files until stopped, polling every `interval` seconds when nothing is new.
    public func runFiles(_ follower: FileFollower, interval: Double) throws {
        setGate = { follower.setGate($0) }
        while true {
            let stopping = signals.stop
            var batch = StateStore.Batch()
            var records: [Record] = []
            follower.poll(into: &batch) { records.append($0) }
            for r in records { live.add(r, to: &batch) }
            try commit(&batch)
            if stopping { break }
            reloadIfAsked()
            if records.isEmpty && batch.isEmpty { Thread.sleep(forTimeInterval: interval) }
        }
    }

    /// Journal JSON from standard input (`journalctl -o json -f | pullwatch follow -`), polled so
    /// that a stop or a reload is noticed while nothing comes.
    public func runJournalStdin(_ journal: JournalFollower) throws {
        setGate = { journal.setGate($0) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var fds = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        while !signals.stop {
            guard poll(&fds, 1, 250) > 0 else {
                reloadIfAsked()
                emit(live.idle(now: Self.now()))
                continue
            }
            let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            try buffer.withUnsafeBytes { try feed(journal, UnsafeRawBufferPointer(rebasing: $0[..<n])) }
        }
        var batch = StateStore.Batch()
        try commit(&batch)
    }

    /// Runs `journalctl ARGUMENTS` (swift-subprocess) and follows its JSON output until stopped;
    /// a stop terminates journalctl.
    public func runJournalctl(_ journal: JournalFollower, arguments: [String]) async throws {
        setGate = { journal.setGate($0) }
        let signals = self.signals
        _ = try await Subprocess.run(.name("journalctl"), arguments: Arguments(arguments), input: .none,
                                     output: .sequence, error: .discarded) { execution in
            let watcher = Task {
                while !signals.stop { try await Task.sleep(nanoseconds: 200_000_000) }
                try? execution.send(signal: .terminate)
            }
            defer { watcher.cancel() }
            for try await chunk in execution.standardOutput {
                try chunk.withUnsafeBytes { try self.feed(journal, $0) }
            }
        }
        var batch = StateStore.Batch()
        try commit(&batch)
    }

    private func feed(_ journal: JournalFollower, _ bytes: UnsafeRawBufferPointer) throws {
        reloadIfAsked()
        var batch = StateStore.Batch()
        var records: [Record] = []
        journal.feed(bytes, into: &batch) { records.append($0) }
        for r in records { live.add(r, to: &batch) }
        try commit(&batch)
    }
}
