import Testing
import Foundation
import PullwatchRecords
@testable import PullwatchRules

/// `pullwatch rules suggest`: drafts that load, pass their own samples, and cover a shape.
@Suite struct RuleDraftTests {
    @Test(arguments: [
        (#"Failed to pull image err="rpc error: code = Unknown desc = registry quota for project 1234 exhausted" image=acme/x:1"#,
         "registry quota for project 1234 exhausted"),
        (#"Failed to pull image "x:1": rpc error: code = Unknown desc = "#
         + #"failed to pull and unpack image "docker.io/library/x:1": the flux capacitor melted"#,
         "the flux capacitor melted"),
        ("Error: initializing source docker://quay.io/a:1: reading manifest 1 in quay.io/a: weird upstream state", "weird upstream state"),
    ])
    func theInnermostErrorIsTheTail(_ message: String, _ innermost: String) {
        #expect(RuleDraftBuilder.innermostError(of: message) == innermost)
    }

    @Test func draftsLoadPassTheirSamplesAndCoverTheShape() throws {
        var builder = RuleDraftBuilder()
        let lines = [
            #"Failed to pull image "acme/x:1": rpc error: code = Unknown desc = registry quota for project 1234 exhausted after 10 tries"#,
            #"Failed to pull image "acme/y:2": rpc error: code = Unknown desc = registry quota for project 98 exhausted after 3 tries"#,
            #"Failed to pull image "acme/z:3": rpc error: code = Unknown desc = the mirror "m-1" is sulking"#,
        ]
        let builtIn = try RuleSet.load()
        let tester = RuleTester(ruleSet: builtIn)
        for line in lines {
            let record = tester.record(for: line)
            #expect(builtIn.classify(record, scratch: MatchScratch())?.cause == .unknown)
            builder.add(message: record.message)
        }
        #expect(builder.ranked.map(\.count) == [2, 1])
        let yaml = builder.yaml()
        let set = try RuleSet.load(files: [(name: "drafts.yaml", contents: yaml)])
        let failures = RuleTester(ruleSet: set).run().failures.filter { $0.ruleID.hasPrefix("draft.") }
        #expect(failures.map(\.description) == [])
        // The first draft matches both lines of its shape, though only the first is its sample.
        let draft = try #require(set.rules.first { $0.id.hasPrefix("draft.registry-quota") })
        for line in lines.prefix(2) {
            guard case .match = draft.regex.match(tester.record(for: line).message, scratch: MatchScratch()) else {
                Issue.record("draft does not match \(line)"); continue
            }
        }
    }
}
