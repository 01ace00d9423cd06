import ArgumentParser
import Foundation
import PullwatchAnalysis
import PullwatchFollow
import PullwatchIO
import PullwatchRecords
import PullwatchReport
import PullwatchRules
import PullwatchState

/// `--state DIR`, default `$XDG_STATE_HOME/pullwatch` (else `~/.local/state/pullwatch`).
struct StateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Directory of the state database (default: $XDG_STATE_HOME/pullwatch).", valueName: "dir"))
    var state: String?

    var directory: String {
        if let state { return state }
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_STATE_HOME"] ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.local/state")
        return base + "/pullwatch"
    }

    func open() throws -> StateStore {
        do { return try StateStore(directory: directory) } catch {
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

    @Argument(help: "Files or directories to follow.")
    var paths: [String] = []

    @OptionGroup var stateOptions: StateOptions

    @Option(help: "Event output: text or ndjson.")
    var format: EventFormat = .text

    @Flag(help: "Read files present at the first start from their beginning.")
    var fromStart = false

    @Option(help: .hidden)
    var interval: Double = 0.25

    @OptionGroup var rules: RuleOptions

    enum EventFormat: String, ExpressibleByArgument { case text, ndjson }

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give files or directories to follow") }
    }

    func run() throws {
        var ruleSet = try rules.load()
        let store = try stateOptions.open()
        let flags = SignalFlags()
        flags.install()
        let options = DecoderOptions()
        let follower = FileFollower(paths: paths, checkpoints: try store.checkpoints(),
                                    start: fromStart ? .beginning : .endOfExistingFiles,
                                    options: options, gate: ruleSet.gate.search)
        let live = try LiveAggregator(store: store, rules: ruleSet, now: Self.now())
        let out = OutputBuffer()
        while true {
            let stopping = flags.stop
            var batch = StateStore.Batch()
            var records: [Record] = []
            follower.poll(into: &batch) { records.append($0) }
            for r in records { live.add(r, to: &batch) }
            for e in try live.commit(&batch, now: Self.now()) {
                out.write(format == .ndjson ? Self.ndjson(e) : Self.text(e))
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

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }

    static func ndjson(_ e: IncidentEvent) -> String {
        "{\"event\": \"\(e.kind.rawValue)\", \"incident\": \(JSONReport.incident(e.incident))}"
    }

    static func text(_ e: IncidentEvent) -> String {
        let verb: String
        switch e.kind {
        case .opened: verb = "opened"
        case .updated: verb = "updated"
        case .resolved: verb = "resolved"
        }
        return "[\(verb)] \(e.incident.summary) (\(e.incident.id))"
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
        try report.emit(try store.aggregate(), ruleSet: ruleSet)
    }
}
