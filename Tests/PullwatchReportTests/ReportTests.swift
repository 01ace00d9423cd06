import Testing
import PullwatchAnalysis
import PullwatchRecords
@testable import PullwatchReport
import PullwatchRules

let rules = try! RuleSet.load()

/// The renderers on their own (the golden files of the samples are in PullwatchAnalysisTests).
@Suite struct RendererTests {
    static let empty = Report(Aggregate(), rules: rules)

    @Test func anEmptyReportSaysSoInEveryFormat() {
        #expect(TextReport.render(Self.empty).contains("0 image-pull failures"))
        #expect(MarkdownReport.render(Self.empty).contains("0 image-pull failures"))
        #expect(HTMLReport.render(Self.empty).contains("No image-pull failures."))
        #expect(JSONReport.render(Self.empty).hasPrefix(#"{"schema": "pullwatch.report/v1""#))
    }

    @Test func placeholdersAreFilledInOnePass() {
        let values = ["a": "{b}", "b": "B"]
        #expect(fillPlaceholders("x {a} {b} {c} {") { values[String($0)] } == "x {b} B {c} {")
    }

    @Test func numbersAndTimesForPeople() {
        #expect(NumberText.grouped(7318) == "7 318")
        #expect(NumberText.grouped(-1_000_000) == "-1 000 000")
        let t: Int64 = 1_795_341_600_000_000_000   // 2026-11-22T10:00:00Z
        #expect(TimeText.range(t, t + 120_000_000_000) == "10:00–10:02 UTC")
        #expect(TimeText.range(nil, nil) == "time unknown")
    }

    @Test func remediationHasTheRealNamesFilledIn() throws {
        let line = #"  Warning  Failed  1m  kubelet, ip-10-0-2-41  Failed to pull image "harbor.corp.example:8443/team/billing:2.4.1": "#
            + #"failed to authorize: failed to fetch oauth token: unexpected status: 401 Unauthorized"#
        let tester = RuleTester(ruleSet: rules)
        let record = tester.record(for: line)
        let c = try #require(rules.classify(record, scratch: MatchScratch()))
        let steps = rules.remediation(for: c, record: record)
        #expect(steps.contains { $0.contains("--docker-server=harbor.corp.example:8443") })
        #expect(!steps.joined().contains("{registry}"))
    }
}
