import ArgumentParser
import Foundation
import PullwatchAnalysis
import PullwatchFollow
import PullwatchIO
import PullwatchRecords
import PullwatchReport
import PullwatchRules
import PullwatchServe
import PullwatchState
import Subprocess

/// `--state DIR`, default `$XDG_STATE_HOME/pullwatch` (else `~/.local/state/pullwatch`).
struct StateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Directory of the state database (default: $XDG_STATE_HOME/pullwatch).", valueName: "dir"))
    var state: String?

    @Option(help: ArgumentHelp("Forget counts, incidents and Event objects older than this (s, m, h, d).", valueName: "duration"))
    var retention: String = "14d"

    /// `--retention` in nanoseconds.
    var retentionNanos: Int64 {
        get throws {
            let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
            guard let unit = retention.last, let seconds = units[unit], let n = Int64(retention.dropLast()), n > 0, n < 100_000 else {
                throw ValidationError("--retention: '\(retention)' is not a duration such as 36h or 14d")
            }
            return n * seconds * 1_000_000_000
        }
    }

    var directory: String {
        if let state { return state }
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_STATE_HOME"] ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.local/state")
        return base + "/pullwatch"
    }

    func open() throws -> StateStore {
        _ = try retentionNanos
        do { return try StateStore(directory: directory) } catch let e as StateStore.IncompatibleState {
            Stderr.write("pullwatch: \(e)")
            throw ExitCode(2)
        } catch {
            Stderr.write("pullwatch: \(directory): cannot open the state database: \(error)")
            throw ExitCode(2)
        }
    }
}

/// Flags set by signal handlers, read by the follow loop.
final class SignalFlags: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var _stop = false, _reload = false
    private var sources: [DispatchSourceSignal] = []

    func install() {
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
    var stop: Bool { lock.lock(); defer { lock.unlock() }; return _stop }
    func takeReload() -> Bool { lock.lock(); defer { lock.unlock() }; let r = _reload; _reload = false; return r }
}

/// `pullwatch follow`: the live job.
struct FollowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow",
        abstract: "Follow log files (like tail -F) and report incidents as they open, grow and end.",
        discussion: """
        Files present at the first start begin at their end (only new lines count) unless \
        --from-start; files that appear later begin at their beginning. Progress is \
        checkpointed with the counts in one SQLite transaction (--state), so a restart — even \
        after kill -9 — neither loses nor recounts a line. SIGINT/SIGTERM: flush and exit 0. \
        SIGHUP: reload rules (a bad rule file keeps the old rules and says why).
        """
    )

    @Argument(help: "Files or directories to follow; '-' reads `journalctl -o json -f` from stdin; with --journal, systemd units (default: kubelet containerd).")
    var paths: [String] = []

    @Flag(help: "Follow the systemd journal: runs `journalctl -f -o json` (resuming with --after-cursor).")
    var journal = false

    @Option(help: ArgumentHelp("With --journal: read this journal file (journalctl --file).", valueName: "file"))
    var journalFile: String?

    @Option(help: ArgumentHelp("With --journal: read journal files in this directory (journalctl --directory).", valueName: "dir"))
    var journalDirectory: String?

    @OptionGroup var stateOptions: StateOptions

    @Option(help: "Event output: text or ndjson.")
    var format: EventFormat = .text

    @Flag(help: "Read files present at the first start from their beginning.")
    var fromStart = false

    @Option(help: .hidden)
    var interval: Double = 0.25

    @Option(name: .customLong("metrics-listen"), help: ArgumentHelp("Serve Prometheus metrics (GET /metrics) here, as `serve` does.", valueName: "host:port"))
    var metricsListen: String?

    @OptionGroup var rules: RuleOptions

    enum EventFormat: String, ExpressibleByArgument { case text, ndjson }

    func validate() throws {
        if paths.isEmpty && !journal { throw ValidationError("give files or directories to follow, '-' for journal JSON on stdin, or --journal") }
        if let metricsListen { _ = try ServeCommand.split(metricsListen, flag: "--metrics-listen") }
    }

    /// With --metrics-listen: counters preloaded from the state, counted on every commit,
    /// served on their own task.
    func startMetrics(_ live: LiveAggregator, store: StateStore) throws {
        guard let metricsListen else { return }
        let (host, port) = try ServeCommand.split(metricsListen, flag: "--metrics-listen")
        let metrics = SinkMetrics(version: Pullwatch.configuration.version)
        metrics.preload(live.state)
        live.onCommit = { metrics.count(committed: $0) }
        let app = SinkHTTP.metricsApplication(host: host, port: port, metrics: metrics)
        Task {
            do { try await app.run() } catch { Stderr.write("pullwatch: --metrics-listen \(metricsListen): \(error)") }
        }
    }

    func run() throws {
        LongRunning.boundHeap()
        if journal || paths == ["-"] {
            try runJournal()
            return
        }
        var ruleSet = try rules.load()
        let store = try stateOptions.open()
        let flags = SignalFlags()
        flags.install()
        let options = DecoderOptions()
        let follower = FileFollower(paths: paths, checkpoints: try store.checkpoints(),
                                    start: fromStart ? .beginning : .endOfExistingFiles,
                                    options: options, gate: ruleSet.gate.search)
        let live = try LiveAggregator(store: store, rules: ruleSet, now: Self.now(), retention: try stateOptions.retentionNanos)
        try startMetrics(live, store: store)
        let out = OutputBuffer()
        while true {
            let stopping = flags.stop
            var batch = StateStore.Batch()
            var records: [Record] = []
            follower.poll(into: &batch) { records.append($0) }
            for r in records { live.add(r, to: &batch) }
            for e in try live.commit(&batch, now: Self.now()) {
                out.write(format == .ndjson ? Self.ndjson(e, rules: live.rules) : Self.text(e, rules: live.rules))
                out.write("\n")
            }
            out.flush()
            if stopping { break }
            if flags.takeReload() {
                do {
                    ruleSet = try RuleSet.load(directories: rules.directories)
                    follower.setGate(ruleSet.gate.search)
                    live.setRules(ruleSet)
                    Stderr.write("pullwatch: rules reloaded (\(ruleSet.rules.count) rules)")
                } catch let e as RuleLoadError {
                    Stderr.write("pullwatch: rules not reloaded, keeping the old ones:\n\(e)")
                }
            }
            if records.isEmpty && batch.isEmpty { Thread.sleep(forTimeInterval: interval) }
        }
    }

    /// Journal mode: `journalctl -f -o json` through swift-subprocess, or stdin (`follow -`).
    func runJournal() throws {
        let ruleSet = try rules.load()
        let store = try stateOptions.open()
        let flags = SignalFlags()
        flags.install()
        let journal = JournalFollower(checkpoint: try store.checkpoints()[JournalFollower.key], options: DecoderOptions(),
                                      gate: ruleSet.gate.search)
        let live = try LiveAggregator(store: store, rules: ruleSet, now: Self.now(), retention: try stateOptions.retentionNanos)
        try startMetrics(live, store: store)
        let sink = JournalSink(journal: journal, live: live, ndjson: format == .ndjson, flags: flags, reload: rules.directories)
        if paths == ["-"] {
            // stdin: poll so that SIGTERM is noticed while no input comes.
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            var fds = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            while !flags.stop {
                guard poll(&fds, 1, 250) > 0 else { sink.reloadIfAsked(); continue }
                let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                try buffer.withUnsafeBytes { try sink.feed(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            }
            try sink.finish()
            return
        }
        let units = paths.isEmpty ? ["kubelet", "containerd"] : paths
        let args = JournalFollower.arguments(units: units, afterCursor: journal.afterCursor, fromStart: fromStart,
                                             file: journalFile, directory: journalDirectory)
        try runAsync("journalctl: ") { [sink, flags] in
            _ = try await Subprocess.run(.name("journalctl"), arguments: Arguments(args), input: .none,
                                         output: .sequence, error: .discarded) { execution in
                let watcher = Task {
                    while !flags.stop { try await Task.sleep(nanoseconds: 200_000_000) }
                    try? execution.send(signal: .terminate)
                }
                defer { watcher.cancel() }
                for try await chunk in execution.standardOutput {
                    try chunk.withUnsafeBytes { try sink.feed($0) }
                }
            }
            try sink.finish()
        }
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }

    static func ndjson(_ e: IncidentEvent, rules: RuleSet) -> String {
        "{\"event\": \"\(e.kind.rawValue)\", \"incident\": \(JSONReport.incident(e.incident, rules: rules))}"
    }

    static func text(_ e: IncidentEvent, rules: RuleSet) -> String {
        let verb: String
        switch e.kind {
        case .opened: verb = "opened"
        case .updated: verb = "updated"
        case .resolved: verb = "resolved"
        }
        return "[\(verb)] \(IncidentText.summary(e.incident, rules: rules)) (\(e.incident.id))"
    }
}

/// `pullwatch report --state DIR`: the scan report over everything followed or received.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print the report over everything followed or received so far (same formats as scan)."
    )

    @OptionGroup var stateOptions: StateOptions
    @OptionGroup var report: ReportOptions

    func run() throws {
        let ruleSet = try report.rules.load()
        let store = try stateOptions.open()
        try report.emit(try store.load().aggregate, ruleSet: ruleSet)
    }
}

/// Journal bytes → records → committed batches → events on stdout. Used from one thread at a
/// time (the stdin loop, or the journalctl reading task), hence @unchecked Sendable.
final class JournalSink: @unchecked Sendable {
    let journal: JournalFollower
    let live: LiveAggregator
    let ndjson: Bool
    let out = OutputBuffer()

    let flags: SignalFlags
    let reloadDirectories: [String]

    init(journal: JournalFollower, live: LiveAggregator, ndjson: Bool, flags: SignalFlags, reload: [String]) {
        self.journal = journal; self.live = live; self.ndjson = ndjson; self.flags = flags; self.reloadDirectories = reload
    }

    /// SIGHUP: reload the rules (a bad rule file keeps the old ones), as file follow does.
    func reloadIfAsked() {
        guard flags.takeReload() else { return }
        do {
            let ruleSet = try RuleSet.load(directories: reloadDirectories)
            journal.setGate(ruleSet.gate.search)
            live.setRules(ruleSet)
            Stderr.write("pullwatch: rules reloaded (\(ruleSet.rules.count) rules)")
        } catch let e as RuleLoadError {
            Stderr.write("pullwatch: rules not reloaded, keeping the old ones:\n\(e)")
        } catch {
            Stderr.write("pullwatch: rules not reloaded, keeping the old ones: \(error)")
        }
    }

    func feed(_ bytes: UnsafeRawBufferPointer) throws {
        reloadIfAsked()
        var batch = StateStore.Batch()
        var records: [Record] = []
        journal.feed(bytes, into: &batch) { records.append($0) }
        for r in records { live.add(r, to: &batch) }
        try commit(&batch)
    }

    func finish() throws {
        var batch = StateStore.Batch()
        try commit(&batch)
    }

    private func commit(_ batch: inout StateStore.Batch) throws {
        for e in try live.commit(&batch, now: FollowCommand.now()) {
            out.write(ndjson ? FollowCommand.ndjson(e, rules: live.rules) : FollowCommand.text(e, rules: live.rules))
            out.write("\n")
        }
        out.flush()
    }
}

/// An error message handed from a task to the waiting main thread.
final class FailureBox: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var _message: String?
    func set(_ m: String) { lock.lock(); _message = m; lock.unlock() }
    var message: String? { lock.lock(); defer { lock.unlock() }; return _message }
}

/// Runs `body` on a task and waits for it (commands are synchronous). An error goes to stderr
/// as `pullwatch: PREFIX<error>` and exits 1.
func runAsync(_ prefix: String, _ body: sending @escaping () async throws -> Void) throws {
    let done = DispatchSemaphore(value: 0)
    let failure = FailureBox()
    Task {
        do { try await body() } catch { failure.set("\(error)") }
        done.signal()
    }
    done.wait()
    if let message = failure.message {
        Stderr.write("pullwatch: \(prefix)\(message)")
        throw ExitCode(1)
    }
}
