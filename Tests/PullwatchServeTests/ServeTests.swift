import Testing
import Foundation
import PullwatchAnalysis
import PullwatchRules
import PullwatchServe
import PullwatchState

let rules = try! RuleSet.load()

/// The sink's ingest without HTTP: what a 2xx promises (every line counted, durable) and what
/// it reports. The HTTP, syslog and shipper paths are tested end to end by scripts/test-serve.sh.
@Suite struct IngestorTests {
    static func entry(_ i: Int, host: String, message: String) -> String {
        let escaped = message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return #"{"__CURSOR":"c\#(i)","__REALTIME_TIMESTAMP":"\#(1_800_000_000_000_000 + i * 1_000_000)","_HOSTNAME":"\#(host)","SYSLOG_IDENTIFIER":"kubelet","MESSAGE":"\#(escaped)"}"#
    }

    static let failure = #"E1122 10:00:00.000000 1 remote_image.go:180] "PullImage from image service failed" err="rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:1.99\": failed to resolve reference \"docker.io/library/nginx:1.99\": docker.io/library/nginx:1.99: not found" image="nginx:1.99""#

    func sink() throws -> (Ingestor, SinkMetrics, String) {
        let dir = NSTemporaryDirectory() + "pullwatch-serve-\(UUID().uuidString)"
        let metrics = SinkMetrics(version: "test")
        return (try Ingestor(store: try StateStore(directory: dir), rules: rules, metrics: metrics, limits: ServeLimits()), metrics, dir)
    }

    @Test func aBatchIsCountedReportedAndDurableWhenIngestReturns() async throws {
        let (ingestor, metrics, dir) = try sink()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let body = [Self.entry(1, host: "n1", message: Self.failure), Self.entry(2, host: "n1", message: "I1122 10:00:01.000000 1 x.go:1] Pulling image"),
                    Self.entry(3, host: "n2", message: Self.failure)].joined(separator: "\n") + "\n"
        let outcome = try await ingestor.ingest(Array(body.utf8), source: "test")
        #expect(outcome.lines == 3 && outcome.failures == 2)
        let report = try JSONSerialization.jsonObject(with: Data(await ingestor.reportJSON().utf8)) as? [String: Any]
        let failures = report?["failures"] as? [String: Any]
        #expect(failures?["total"] as? Int == 2)
        #expect(failures?["by_node"] as? [String: Int] == ["n1": 1, "n2": 1])
        // What the 2xx promised is in the database: a new process reports the same.
        let reopened = try StateStore(directory: dir).load()
        #expect(reopened.report(rules: rules).failures.total == 2 && reopened.input.lines == 3)
        #expect(metrics.render().contains(#"pullwatch_pull_failures_total{node="n2",registry="docker.io",cause="tag_not_found"} 1"#))
    }

    @Test func malformedJSONIsCountedAndReachesTheReport() async throws {
        let (ingestor, _, dir) = try sink()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let body = #"{"MESSAGE": "unterminated"# + "\n" + Self.entry(1, host: "n1", message: Self.failure) + "\n"
        let outcome = try await ingestor.ingest(Array(body.utf8), source: "shipper")
        #expect(outcome.failures == 1)
        let state = try StateStore(directory: dir).load()
        #expect(state.input.errors.contains { $0.file == "shipper" && $0.message.contains("JSON") })
    }
}
