import ArgumentParser
import Foundation

@main
struct Pullwatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pullwatch",
        abstract: "Find out why Kubernetes image pulls fail, from kubelet, containerd and CRI-O logs and events.",
        version: "0.1.0",
        subcommands: [ScanCommand.self, FollowCommand.self, ReportCommand.self, ServeCommand.self, ExplainCommand.self, MergeCommand.self,
                      RulesCommand.self, RecordsCommand.self]
    )

    /// Exit status per DESIGN.md: 0 success, 1 input errors, 2 usage or rule-file errors
    /// (ArgumentParser's own usage status, 64, becomes 2).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
