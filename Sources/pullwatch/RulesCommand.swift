import ArgumentParser
import Foundation
import PullwatchRules

/// `pullwatch rules list|test|check`.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Show, test and validate classification rules.",
        subcommands: [List.self, Test.self, Check.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the rules in force, in precedence order.")
        @OptionGroup var rules: RuleOptions
        @Flag(help: "Print only the patterns, one per line, named groups made plain (for `rg -P -f`, `grep -P`).")
        var patterns = false
        func run() throws {
            let set = try rules.load()
            if patterns {
                for r in set.rules {
                    // (?<name>…) → (?:…): other tools reject a group name used twice.
                    print(r.pattern.replacingOccurrences(of: #"\(\?<[A-Za-z_][A-Za-z0-9_]*>"#, with: "(?:", options: .regularExpression))
                }
                return
            }
            let out = OutputBuffer()
            let idWidth = set.rules.map(\.id.count).max() ?? 10
            let causeWidth = Cause.allCases.map(\.rawValue.count).max() ?? 10
            out.write("\("ID".padding(toLength: idWidth, withPad: " ", startingAt: 0))  \("CAUSE".padding(toLength: causeWidth, withPad: " ", startingAt: 0))  PRIO  DEFINED AT\n")
            for r in set.rules {
                var line = "\(r.id.padding(toLength: idWidth, withPad: " ", startingAt: 0))  \(r.cause.rawValue.padding(toLength: causeWidth, withPad: " ", startingAt: 0))  \(String(r.priority).padding(toLength: 4, withPad: " ", startingAt: 0))  \(r.location)"
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
            print("ok: \(set.rules.count) rules valid, \(set.causes.count) causes described; PCRE2 JIT: \(jit ? "yes" : "no (interpreter; slower)")")
        }
    }
}
