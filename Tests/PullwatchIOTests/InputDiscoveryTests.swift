import Testing
import Foundation
import PullwatchIO

@Suite struct InputDiscoveryTests {
    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "pullwatch-discovery-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func walksRecursivelyInSortedOrderAndSurvivesSymlinkLoops() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/b/inner", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/a", withIntermediateDirectories: true)
        for f in ["/b/inner/z.log", "/b/y.log.gz", "/a/x.log", "/A.log"] { fm.createFile(atPath: dir + f, contents: Data("x\n".utf8)) }
        try fm.createSymbolicLink(atPath: dir + "/b/inner/loop", withDestinationPath: dir + "/b")
        try fm.createSymbolicLink(atPath: dir + "/c-alias.log", withDestinationPath: dir + "/a/x.log")
        let d = InputDiscovery(paths: [dir])
        #expect(d.sources == [.file(dir + "/A.log"), .file(dir + "/a/x.log"), .file(dir + "/b/inner/z.log"), .file(dir + "/b/y.log.gz")])
        #expect(d.errors.count == 1)
        #expect(d.errors.first?.message.contains("symlink loop") == true)
    }

    @Test func missingPathIsAnErrorNamingIt() {
        let d = InputDiscovery(paths: ["/nonexistent/pullwatch.log", "-"])
        #expect(d.sources == [.standardInput])
        #expect(d.errors.first?.description.hasPrefix("/nonexistent/pullwatch.log: cannot open") == true)
    }
}
