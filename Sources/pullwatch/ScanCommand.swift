import ArgumentParser
import Foundation
import PullwatchAnalysis
import PullwatchIO
import PullwatchRecords
import PullwatchReport
import PullwatchRules

/// Output options shared by `scan` and `merge`.
struct ReportOptions: ParsableArguments {
    @Option(help: "Report format: text, markdown, json, html, or state (the mergeable aggregate, for `merge`).")
    var format: ReportFormat = .text

    @Option(help: ArgumentHelp("Only failures at or after TIME (RFC 3339, or relative: 90s, 30m, 2h, 7d).", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only failures at or before TIME (RFC 3339 or relative).", valueName: "time"))
    var until: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to FILE instead of standard output.", valueName: "file"))
    var output: String?

    @OptionGroup var rules: RuleOptions

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case text, markdown, json, html, state }

    func window() throws -> TimeWindow {
        TimeWindow(since: try since.map { try Self.parseTime($0, flag: "--since") },
                   until: try until.map { try Self.parseTime($0, flag: "--until") })
    }

    static func parseTime(_ text: String, flag: String) throws -> Int64 {
        if let t = TimeParsing.rfc3339(text) { return t.nanoseconds }
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let unit = text.last, let seconds = units[unit], let n = Int64(text.dropLast()), n >= 0 {
            return Int64(Date().timeIntervalSince1970 * 1e9) - n * seconds * 1_000_000_000
        }
        throw ValidationError("\(flag): '\(text)' is neither RFC 3339 (2025-11-22T10:00:00Z) nor relative (90s, 30m, 2h, 7d)")
    }

    /// Renders and writes; returns nothing, throws on write errors.
    func emit(_ aggregate: Aggregate, ruleSet: RuleSet) throws {
        let text: String
        switch format {
        case .state:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            text = String(decoding: try encoder.encode(aggregate), as: UTF8.self) + "\n"
        default:
            let report = Report(aggregate, rules: ruleSet, window: try window())
            switch format {
            case .text:
                let colour = output == nil && isatty(1) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
                text = TextReport.render(report, style: TextStyle(colour: colour))
            case .markdown: text = MarkdownReport.render(report)
            case .json: text = JSONReport.render(report)
            case .html: text = HTMLReport.render(report)
            case .state: text = ""
            }
        }
        if let output {
            do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                Stderr.write("pullwatch: \(output): cannot write: \(error.localizedDescription)")
                throw ExitCode(2)
            }
        } else {
            let out = OutputBuffer()
            out.write(text)
            out.flush()
        }
    }
}

/// `pullwatch scan`: the main job.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Count image-pull failures per cause, registry, node, namespace and image, and report incidents.",
        discussion: """
        Reads files and directories (recursively), or standard input ('-', or no path with \
        piped stdin); gzip is detected by its magic bytes. Exit status: 0 success; 1 when some \
        input could not be read (the report covers the rest); 2 usage or rule-file errors.
        """
    )

    @Argument(help: "Files or directories; '-' for standard input.")
    var paths: [String] = []

    @Option(help: "Files read in parallel (default: number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: .hidden)
    var noGate = false

    @OptionGroup var report: ReportOptions

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        _ = try report.window()
    }

    func run() throws {
        let ruleSet = try report.rules.load()
        let discovery = InputDiscovery(paths: InputPaths.resolve(paths))
        let progress = BatchScanner.Progress()
        let display = ProgressDisplay(progress: progress, total: discovery.sources.count)
        display.start()
        var aggregate = BatchScanner.scan(discovery.sources, rules: ruleSet,
                                     options: ScanOptions(jobs: jobs, useGate: !noGate), progress: progress)
        display.stop()
        aggregate.input.errors = discovery.errors.map(InputProblem.init) + aggregate.input.errors
        try report.emit(aggregate, ruleSet: ruleSet)
        for e in aggregate.input.errors { Stderr.write("pullwatch: \(Headline.errorTextPublic(e))") }
        if aggregate.input.limitHits > 0 {
            Stderr.write("pullwatch: \(aggregate.input.limitHits) rule matches stopped at the PCRE2 match/depth limit "
                         + "(counted as no match)")
        }
        if !aggregate.input.errors.isEmpty { throw ExitCode(1) }
    }
}

/// `pullwatch merge`: combine state files into one report.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine state files (scan --format state) into one report.",
        discussion: "The result equals one scan over all the inputs. Exit status 1 when a state file cannot be read (the rest are merged)."
    )

    @Argument(help: "State files written by `scan --format state`.")
    var states: [String]

    @OptionGroup var report: ReportOptions

    func run() throws {
        let ruleSet = try report.rules.load()
        var total = Aggregate()
        var failed = false
        for path in states {
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                let a = try JSONDecoder().decode(Aggregate.self, from: data)
                guard a.schema == Aggregate.schema else {
                    Stderr.write("pullwatch: \(path): not a \(Aggregate.schema) state file (schema \(a.schema))")
                    failed = true
                    continue
                }
                total.merge(a)
            } catch {
                Stderr.write("pullwatch: \(path): cannot read state: \(error.localizedDescription)")
                failed = true
            }
        }
        try report.emit(total, ruleSet: ruleSet)
        if failed { throw ExitCode(1) }
    }
}

/// A one-line progress display on stderr: only when stdin and stderr are terminals, and only
/// once the scan has run for a second.
final class ProgressDisplay: @unchecked Sendable {
    // `stopped` is guarded by `lock`; the thread only reads it under the lock.
    private let progress: BatchScanner.Progress
    private let total: Int
    private let lock = NSLock()
    private var stopped = false
    private var shown = false
    private var thread: Thread?

    init(progress: BatchScanner.Progress, total: Int) { self.progress = progress; self.total = total }

    func start() {
        guard isatty(2) == 1, isatty(0) == 1 else { return }
        let started = Date()
        let t = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.2)
                lock.lock()
                if stopped { lock.unlock(); return }
                if Date().timeIntervalSince(started) >= 1 {
                    let mib = Double(progress.bytes) / 1_048_576
                    let line = String(format: "\rscanning: %d/%d files, %.0f MiB read", progress.sourcesDone, total, mib)
                    FileHandle.standardError.write(Data(line.utf8))
                    shown = true
                }
                lock.unlock()
            }
        }
        thread = t
        t.start()
    }

    func stop() {
        lock.lock()
        stopped = true
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        lock.unlock()
    }
}
