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

    func open(writeAheadLog: Bool = false) throws -> StateStore {
        _ = try retentionNanos
        do { return try StateStore(directory: directory, writeAheadLog: writeAheadLog) } catch let e as StateStore.IncompatibleState {
            Stderr.write("pullwatch: \(e)")
            throw ExitCode(2)
        } catch {
            Stderr.write("pullwatch: \(directory): cannot open the state database: \(error)")
            throw ExitCode(2)
        }
    }
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
        SIGHUP: reload rules (a bad rule file keeps the old rules and says why) and the --tls-* files.
        """
    )

    @Argument(help: ArgumentHelp("Files or directories to follow; '-' reads `journalctl -o json -f` from stdin; "
                                 + "with --journal, systemd units (default: kubelet containerd)."))
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

    @Option(name: .customLong("metrics-listen"),
            help: ArgumentHelp("Serve Prometheus metrics (GET /metrics) here, as `serve` does.", valueName: "host:port"))
    var metricsListen: String?

    @OptionGroup var tls: TLSOptions

    @OptionGroup var rules: RuleOptions

    enum EventFormat: String, ExpressibleByArgument { case text, ndjson }

    func validate() throws {
        if paths.isEmpty && !journal {
            throw ValidationError("give files or directories to follow, '-' for journal JSON on stdin, or --journal")
        }
        if let metricsListen { _ = try ServeCommand.split(metricsListen, flag: "--metrics-listen") }
        if tls.files != nil && metricsListen == nil { throw ValidationError("--tls-cert is for --metrics-listen") }
    }

    /// With --metrics-listen: counters preloaded from the state, counted on every commit,
    /// served on their own task.
    func startMetrics(_ live: LiveAggregator, store: StateStore, tls tlsContext: TLSContextBox?) throws {
        guard let metricsListen else { return }
        let (host, port) = try ServeCommand.split(metricsListen, flag: "--metrics-listen")
        let metrics = SinkMetrics(version: Pullwatch.configuration.version)
        metrics.preload(live.state)
        metrics.incidents(events: [], open: live.tracker.open)
        live.onCommit = { batch, events, open in
            metrics.count(committed: batch)
            metrics.incidents(events: events, open: open)
        }
        let app = SinkHTTP.metricsApplication(host: host, port: port, metrics: metrics, tls: tlsContext)
        Task {
            do { try await app.run() } catch { Stderr.write("pullwatch: --metrics-listen \(metricsListen): \(error)") }
        }
    }

    func run() throws {
        LongRunning.boundHeap()
        let ruleSet = try rules.load()
        let store = try stateOptions.open()
        let signals = FollowSignals()
        signals.install()
        let live = try LiveAggregator(store: store, rules: ruleSet, now: Self.now(), retention: try stateOptions.retentionNanos)
        let tlsContext = try tls.load()
        try startMetrics(live, store: store, tls: tlsContext)
        let out = OutputBuffer()
        let ndjson = format == .ndjson
        let directories = rules.directories
        let loop = FollowLoop(live: live, signals: signals, reloadRules: {
            if let tlsContext { CertificateReloader.reload(tlsContext) }
            do {
                let reloaded = try RuleSet.load(directories: directories)
                Stderr.write("pullwatch: rules reloaded (\(reloaded.rules.count) rules)")
                return reloaded
            } catch {
                Stderr.write("pullwatch: rules not reloaded, keeping the old ones:\n\(error)")
                return nil
            }
        }, emit: { events in
            for e in events {
                out.write(ndjson ? Self.ndjson(e, rules: live.rules) : Self.text(e, rules: live.rules))
                out.write("\n")
            }
            out.flush()
        })
        if journal || paths == ["-"] {
            let journalFollower = JournalFollower(checkpoint: try store.checkpoints()[JournalFollower.key], options: DecoderOptions(),
                                                  gate: ruleSet.gate.search)
            if paths == ["-"] {
                try loop.runJournalStdin(journalFollower)
                return
            }
            let units = paths.isEmpty ? ["kubelet", "containerd"] : paths
            let args = JournalFollower.arguments(units: units, afterCursor: journalFollower.afterCursor, fromStart: fromStart,
                                                 file: journalFile, directory: journalDirectory)
            try runAsync("journalctl: ") { try await loop.runJournalctl(journalFollower, arguments: args) }
            return
        }
        let follower = FileFollower(paths: paths, checkpoints: try store.checkpoints(),
                                    start: fromStart ? .beginning : .endOfExistingFiles,
                                    options: DecoderOptions(), gate: ruleSet.gate.search)
        try loop.runFiles(follower, interval: interval)
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
