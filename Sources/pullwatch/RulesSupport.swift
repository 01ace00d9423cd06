import ArgumentParser
import Foundation
import PullwatchRecords
import PullwatchRules

/// `--rules DIR` shared by the commands that classify.
struct RuleOptions: ParsableArguments {
    @Option(name: .customLong("rules"),
            help: ArgumentHelp("Extra rule files (a directory or a file); a rule with the same id replaces the built-in one.",
                               valueName: "dir"))
    var directories: [String] = []

    /// Loads the rule set or exits 2 with every problem on stderr (file:line each).
    func load() throws -> RuleSet {
        do {
            return try RuleSet.load(directories: directories)
        } catch let e as RuleLoadError {
            for error in e.errors { Stderr.write("pullwatch: \(error)") }
            throw ExitCode(2)
        }
    }
}

enum Stderr {
    static func write(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
