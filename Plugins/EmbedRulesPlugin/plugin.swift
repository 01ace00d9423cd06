import Foundation
import PackagePlugin

/// Runs EmbedRules over the package's rules/*.yaml, producing EmbeddedRules.swift for the
/// target, so the default rule set is compiled into the binary.
@main
struct EmbedRulesPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let rulesDir = context.package.directoryURL.appending(path: "rules")
        let files = try FileManager.default.contentsOfDirectory(atPath: rulesDir.path)
            .filter { $0.hasSuffix(".yaml") }
            .sorted()
            .map { rulesDir.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedRules.swift")
        return [.buildCommand(
            displayName: "Embedding \(files.count) rule files",
            executable: try context.tool(named: "EmbedRules").url,
            arguments: [output.path] + files.map(\.path),
            inputFiles: files,
            outputFiles: [output]
        )]
    }
}
