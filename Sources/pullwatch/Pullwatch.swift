import ArgumentParser

@main
struct Pullwatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pullwatch",
        abstract: "Find out why Kubernetes image pulls fail, from kubelet, containerd and CRI-O logs and events.",
        version: "0.1.0",
        subcommands: [ScanCommand.self, ExplainCommand.self, MergeCommand.self, RulesCommand.self, RecordsCommand.self]
    )
}
