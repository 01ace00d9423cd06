import ArgumentParser
import Foundation
import PullwatchIO
import PullwatchRecords
import PullwatchRules

/// `pullwatch rules list|test|check`.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Show, test, validate and draft classification rules.",
        subcommands: [List.self, Test.self, Check.self, Suggest.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the rules in force, in precedence order.")
        @OptionGroup var rules: RuleOptions
        @Flag(help: "Print only the patterns, one per line, named groups made plain (for `rg -P -f`, `grep -P`).")
        var patterns = false
        @Flag(help: "Print only the gate's literals, one per line (for `rg -F -f`).")
        var literals = false
        func run() throws {
            let set = try rules.load()
            if literals {
                for l in set.gate.literals { print(String(decoding: l, as: UTF8.self)) }
                return
            }
            if patterns {
                for r in set.rules where !r.isVeto {
                    // (?<name>…) → (?:…): other tools reject a group name used twice.
                    print(r.pattern.replacingOccurrences(of: #"\(\?<[A-Za-z_][A-Za-z0-9_]*>"#, with: "(?:", options: .regularExpression))
                }
                return
            }
            let out = OutputBuffer()
            let idWidth = set.rules.map(\.id.count).max() ?? 10
            let causeWidth = Cause.allCases.map(\.rawValue.count).max() ?? 10
            out.write("\("ID".padding(toLength: idWidth, withPad: " ", startingAt: 0))  "
                      + "\("CAUSE".padding(toLength: causeWidth, withPad: " ", startingAt: 0))  PRIO  DEFINED AT\n")
            for r in set.rules {
                var line = "\(r.id.padding(toLength: idWidth, withPad: " ", startingAt: 0))  "
                    + "\((r.isVeto ? "none (veto)" : r.cause.rawValue).padding(toLength: causeWidth, withPad: " ", startingAt: 0))  "
                    + "\(String(r.priority).padding(toLength: 4, withPad: " ", startingAt: 0))  \(r.location)"
                if let old = set.replaced[r.id] { line += " (replaces \(old))" }
                out.write(line + "\n")
            }
            out.write("\(set.rules.count) rules; gate literals: \(set.gate.literals.count)\n")
            out.flush()
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run every rule's samples and non-samples; exit 1 on a failure.")
        @OptionGroup var rules: RuleOptions
        func run() throws {
            let set = try rules.load()
            let summary = RuleTester(ruleSet: set).run()
            for f in summary.failures { Stderr.write("FAIL \(f)") }
            let checked = summary.samples + summary.nonSamples
            print("rules test: \(summary.rules) rules, \(summary.samples) samples, \(summary.nonSamples) non-samples")
            print("\(checked - summary.failures.count) passed, \(summary.failures.count) failed")
            if !summary.failures.isEmpty { throw ExitCode(1) }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate rule files (the built-in ones and DIR); exit 2 on an error.")
        @Argument(help: "Directories or files of rules to check besides the built-in ones.")
        var paths: [String] = []
        @OptionGroup var rules: RuleOptions
        func run() throws {
            var options = rules
            options.directories += paths
            let set = try options.load()
            let jit = set.rules.allSatisfy(\.regex.isJIT)
            print("ok: \(set.rules.count) rules valid, \(set.causes.count) causes described; "
                  + "PCRE2 JIT: \(jit ? "yes" : "no (interpreter; slower)")")
        }
    }

    struct Suggest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draft a rule file for the `unknown` failures found in logs.",
            discussion: """
            Reads files, directories or standard input like `scan`, groups the pull failures no \
            rule classifies by the shape of their innermost error, and prints a rule file (YAML, \
            the lines seen as samples) that `pullwatch rules test` accepts. Set each rule's cause, \
            tighten its pattern and pass the directory with --rules.
            """
        )
        @Argument(help: "Files or directories; '-' for standard input (the default when stdin is piped).")
        var paths: [String] = []
        @Option(help: "Most message shapes to draft rules for.")
        var limit = 20
        @Option(name: .shortAndLong, help: "Write the rule file here instead of standard output.")
        var output: String?
        @OptionGroup var rules: RuleOptions

        func run() throws {
            let set = try rules.load()
            let discovery = InputDiscovery(paths: InputPaths.resolve(paths))
            var errors = discovery.errors
            let scratch = MatchScratch()
            var builder = RuleDraftBuilder()
            var failures = 0
            for source in discovery.sources {
                errors += Ingest.read(source, options: DecoderOptions()) { record in
                    guard let c = set.classify(record, scratch: scratch) else { return }
                    failures += 1
                    if c.cause == .unknown { builder.add(message: record.message) }
                }.errors
            }
            for e in errors { Stderr.write("pullwatch: \(e)") }
            let shapes = builder.ranked
            let unknown = shapes.reduce(0) { $0 + $1.count }
            guard !shapes.isEmpty else {
                Stderr.write("pullwatch: \(failures) pull failures, none unknown: nothing to draft")
                if !errors.isEmpty { throw ExitCode(1) }
                return
            }
            let yaml = builder.yaml(limit: limit)
            try verify(yaml)
            if let output {
                try yaml.write(toFile: output, atomically: true, encoding: .utf8)
            } else {
                print(yaml, terminator: "")
            }
            Stderr.write("pullwatch: \(unknown) of \(failures) pull failures are unknown, in \(shapes.count) message shapes; "
                         + "drafted \(min(limit, shapes.count)) rules")
            if !errors.isEmpty { throw ExitCode(1) }
        }

        /// The drafts must load and pass their own samples beside the rules in force.
        func verify(_ yaml: String) throws {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pullwatch-suggest-\(getpid())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            try yaml.write(to: dir.appendingPathComponent("drafts.yaml"), atomically: true, encoding: .utf8)
            let set = try RuleSet.load(directories: rules.directories + [dir.path])
            let failures = RuleTester(ruleSet: set).run().failures.filter { $0.ruleID.hasPrefix("draft.") }
            for f in failures { Stderr.write("pullwatch: draft does not pass: \(f)") }
        }
    }
}
