import Testing
import Foundation
import PullwatchAnalysis
import PullwatchRules
@testable import PullwatchServe
import NIOCore
import NIOTestUtils
import PullwatchState
import PullwatchTestSupport
import NIOEmbedded

let rules = try! RuleSet.load()

/// The sink's ingest without HTTP: what a 2xx promises (every line counted, durable) and what
/// it reports. The HTTP, syslog and shipper paths are tested end to end by scripts/test-serve.sh.
@Suite struct IngestorTests {
    static func entry(_ i: Int, host: String, message: String) -> String {
        let escaped = message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return #"{"__CURSOR":"c\#(i)","__REALTIME_TIMESTAMP":"\#(1_800_000_000_000_000 + i * 1_000_000)","_HOSTNAME":"\#(host)","#
            + #""SYSLOG_IDENTIFIER":"kubelet","MESSAGE":"\#(escaped)"}"#
    }

    static let failure = #"E1122 10:00:00.000000 1 remote_image.go:180] "PullImage from image service failed" "#
        + #"err="rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:1.99\": "#
        + #"failed to resolve reference \"docker.io/library/nginx:1.99\": docker.io/library/nginx:1.99: not found" image="nginx:1.99""#

    func sink() throws -> (Ingestor, SinkMetrics, String) {
        let dir = NSTemporaryDirectory() + "pullwatch-serve-\(UUID().uuidString)"
        let metrics = SinkMetrics(version: "test")
        return (try Ingestor(store: try StateStore(directory: dir), rules: rules, metrics: metrics, limits: ServeLimits()), metrics, dir)
    }

    @Test func aBodyFedInPartsIsIngestedAsTheWholeBody() async throws {
        var body = ""
        for i in 0..<400 {
            let message = i % 4 == 0 ? Self.failure : "I1122 10:00:01.000000 1 x.go:1] Pulling image"
            body += Self.entry(i, host: "n\(i % 3)", message: message) + "\n"
        }
        body += "E1122 10:00:09.000000 1 x.go:1] last line without a newline: Back-off pulling image \"nginx:1.99\""
        let bytes = Array(body.utf8)
        let (whole, _, d1) = try sink()
        let (parted, _, d2) = try sink()
        defer { try? FileManager.default.removeItem(atPath: d1); try? FileManager.default.removeItem(atPath: d2) }
        let expected = try await whole.ingest(bytes, source: "test")
        // Parts of 1 to 700 bytes, cutting lines and JSON values anywhere.
        let session = parted.session(source: "test")
        var rng = SystemRandomNumberGenerator()
        var at = 0
        while at < bytes.count {
            let n = min(Int.random(in: 1...700, using: &rng), bytes.count - at)
            bytes.withUnsafeBytes { session.feed(UnsafeRawBufferPointer(rebasing: $0[at..<(at + n)])) }
            at += n
        }
        let got = try await parted.ingest(session)
        #expect(got.lines == expected.lines && got.records == expected.records && got.bytes == expected.bytes)
        #expect(got.failures == expected.failures && expected.failures == 101)
        #expect(got.rejected == expected.rejected)
        #expect(await parted.reportJSON() == (await whole.reportJSON()))
    }

    @Test func aBatchIsCountedReportedAndDurableWhenIngestReturns() async throws {
        let (ingestor, metrics, dir) = try sink()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let body = [Self.entry(1, host: "n1", message: Self.failure),
                    Self.entry(2, host: "n1", message: "I1122 10:00:01.000000 1 x.go:1] Pulling image"),
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

    @Test func incidentsOpenAndEventsAreExported() async throws {
        let (ingestor, metrics, dir) = try sink()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func entry(_ cursor: String, micros: Int64, host: String, message: String) -> String {
            let escaped = message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return #"{"__CURSOR":"\#(cursor)","__REALTIME_TIMESTAMP":"\#(micros)","_HOSTNAME":"\#(host)","SYSLOG_IDENTIFIER":"kubelet","#
                + #""MESSAGE":"\#(escaped)"}"#
        }
        let now = Int64(Date().timeIntervalSince1970 * 1e6)
        // Failing now on two nodes: one open incident.
        let live = (0..<4).map { entry("a\($0)", micros: now - Int64(60 - $0) * 1_000_000, host: "n\($0 % 2)", message: Self.failure) }
        _ = try await ingestor.ingest(Array((live.joined(separator: "\n") + "\n").utf8), source: "test")
        var text = metrics.render()
        #expect(text.contains(#"pullwatch_incident_events_total{event="opened"} 1"#), "\(text)")
        #expect(text.contains(#"pullwatch_incidents_open{cause="tag_not_found",registry="docker.io",scope="image"} 1"#), "\(text)")
        // A replay of a day-old failure of another image: announced resolved at once, never open.
        let old = Self.failure.replacingOccurrences(of: "nginx:1.99", with: "redis:0.1")
        let replay = entry("b", micros: now - 86_400_000_000, host: "n3", message: old) + "\n"
        _ = try await ingestor.ingest(Array(replay.utf8), source: "test")
        text = metrics.render()
        #expect(text.contains(#"pullwatch_incident_events_total{event="resolved"} 1"#), "\(text)")
        #expect(text.contains(#"pullwatch_incidents_open{cause="tag_not_found",registry="docker.io",scope="image"} 1"#))
        // A restarted sink counts the open incident from the state, with no new event.
        let again = SinkMetrics(version: "test")
        _ = try Ingestor(store: try StateStore(directory: dir), rules: rules, metrics: again, limits: ServeLimits())
        #expect(again.render().contains(#"pullwatch_incidents_open{cause="tag_not_found",registry="docker.io",scope="image"} 1"#))
        #expect(again.render().contains(#"pullwatch_incident_events_total{event="opened"} 0"#))
        #expect(again.render().contains(#"pullwatch_incident_events_total{event="resolved"} 0"#))
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

/// The syslog framer through swift-nio's decoder verifier: the same messages whether the stream
/// arrives whole, byte by byte or in random chunks (as the line framer is tested).
@Suite struct SyslogFramingTests {
    func verify(_ pairs: [(String, [String])], maxMessage: Int = 64) throws {
        let expected: [(String, [ByteBuffer])] = pairs.map { ($0.0, $0.1.map { ByteBuffer(string: $0) }) }
        let metrics = SinkMetrics(version: "test")
        let factory: () -> SyslogFrameDecoder = { SyslogFrameDecoder(maxMessage: maxMessage, metrics: metrics) }
        try ByteToMessageDecoderVerifier.verifyDecoder(stringInputOutputPairs: expected, decoderFactory: factory)
    }

    @Test func octetCountingAndLineFramingWhateverTheChunks() throws {
        try verify([
            ("12 <13>1 hello!", ["<13>1 hello!"]),
            ("<14>plain line\r\n<14>second\n", ["<14>plain line", "<14>second"]),
            ("5 <1>ab10 <13>1 xy z", ["<1>ab", "<13>1 xy z"]),
        ])
    }

    /// The shared framer verifier: LF-framed syslog (no octet counts) frames as every other
    /// source does, whatever the TCP segments.
    @Test func theFramerVerifierHoldsForLineFramedSyslog() throws {
        let limit = 120
        let input = FramerVerifier.sampleInput(lines: 400, limit: limit, seed: 3)
        let expected = FramerVerifier.expected(input, limit: limit, dropEmpty: true).map {
            FramedLine(bytes: $0.bytes, number: 0, truncated: false)
        }
        let metrics = SinkMetrics(version: "test")
        let problems = try FramerVerifier.verify(input, expected: expected) { chunks in
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(SyslogFrameDecoder(maxMessage: limit, metrics: metrics)))
            var out: [FramedLine] = []
            func drain() throws {
                while let frame = try channel.readInbound(as: ByteBuffer.self) {
                    out.append(FramedLine(bytes: Array(frame.readableBytesView), number: 0, truncated: false))
                }
            }
            for c in chunks {
                try channel.writeInbound(ByteBuffer(bytes: c))
                try drain()
            }
            _ = try channel.finish()
            try drain()
            return out
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func anOverlongMessageIsCutAndItsRestSkippedNotAMessage() throws {
        let long = String(repeating: "x", count: 100)
        try verify([
            ("100 " + long + "9 <13>1 ok!", [String(repeating: "x", count: 64), "<13>1 ok!"]),
            ("<14>" + long + "\n<14>next\n", ["<14>" + String(repeating: "x", count: 60), "<14>next"]),
        ])
    }
}
