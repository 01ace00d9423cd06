import Testing
import Foundation
import PullwatchAnalysis
import PullwatchIO
import PullwatchRecords
import PullwatchReport
import PullwatchRules
import PullwatchTestSupport

let rules = try! RuleSet.load()
let fixedDecoder = DecoderOptions(years: YearInference(reference: TimeParsing.rfc3339("2026-11-23T00:00:00Z")!))
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Scans text as one source.
func scanText(_ text: String, name: String = "t.log") -> Aggregate {
    var a = Aggregate()
    let scratch = MatchScratch()
    let summary = Ingest.read(ChunkedReader(Array(text.utf8)), name: name, options: fixedDecoder, gate: rules.gate.search) { r in
        if let c = rules.classify(r, scratch: scratch) { a.add(Observation(record: r, classification: c)) }
    }
    a.input.sources = 1
    a.input.lines = summary.lines
    a.input.records = summary.records
    return a
}

/// The attempts of an aggregate as a state file holds them (normalized).
func AttemptRollupsOf(_ a: Aggregate) -> [AttemptRollup] {
    (try? JSONDecoder().decode(Aggregate.self, from: JSONEncoder().encode(a)))?.attempts ?? []
}

func event(_ name: String, count: Int, node: String = "node-a", pod: String = "web-1", message: String, time: String) -> String {
    #"{"kind":"Event","metadata":{"name":"\#(name)","namespace":"shop"},"#
        + #""involvedObject":{"kind":"Pod","name":"\#(pod)","namespace":"shop"},"reason":"Failed","type":"Warning","#
        + #""message":"\#(message)","count":\#(count),"source":{"host":"\#(node)"},"lastTimestamp":"\#(time)"}"#
}

let tagMissing = #"Failed to pull image \"nginx:1.99\": rpc error: code = NotFound desc = "#
    + #"failed to pull and unpack image \"docker.io/library/nginx:1.99\": "#
    + #"failed to resolve reference \"docker.io/library/nginx:1.99\": docker.io/library/nginx:1.99: not found"#

func journalLine(_ time: String, node: String, image: String, error: String) -> String {
    #"\#(time) \#(node) containerd[812]: time="2026-11-22T\#(time.suffix(8))Z" level=error msg="PullImage \"\#(image)\" failed" "#
        + #"error="rpc error: code = Unknown desc = failed to pull and unpack image \"\#(image)\": \#(error)""#
}

@Suite struct CountingTests {
    @Test func eventOccurrencesCountOnceEach() {
        let lines = [
            event("web-1.a", count: 1, message: tagMissing, time: "2026-11-22T10:00:00Z"),
            event("web-1.a", count: 3, message: tagMissing, time: "2026-11-22T10:01:00Z"),   // +2
            event("web-1.a", count: 3, message: tagMissing, time: "2026-11-22T10:01:00Z"),   // seen again: +0
            event("web-1.b", count: 5, message: "Error: ErrImagePull", time: "2026-11-22T10:02:00Z"), // first sight: 5
        ].joined(separator: "\n")
        let r = Report(scanText(lines), rules: rules)
        #expect(r.failures.total == 8)
        #expect(r.failures.byCause == ["tag_not_found": 3, "backoff": 5])
        #expect(r.failures.byNode == ["node-a": 8])
    }

    @Test func mergingCountsAnEventAcrossShardsOnce() {
        var a = scanText(event("web-1.a", count: 3, message: tagMissing, time: "2026-11-22T10:01:00Z"), name: "a")
        a.merge(scanText(event("web-1.a", count: 5, message: tagMissing, time: "2026-11-22T10:05:00Z"), name: "b"))
        #expect(Report(a, rules: rules).failures.total == 5)
    }

    @Test func tablesAddUpToTheTotal() throws {
        let r = Report(BatchScanner.scan(InputDiscovery(paths: [repoRoot.appendingPathComponent("samples").path]).sources,
                                         rules: rules, options: ScanOptions(jobs: 2, decoder: fixedDecoder)), rules: rules)
        let f = r.failures
        #expect(f.total > 500)
        #expect(f.byCause.values.reduce(0, +) == f.total)
        #expect(f.byNode.values.reduce(0, +) + f.withoutNode == f.total)
        #expect(f.byRegistry.values.reduce(0, +) + f.withoutRegistry == f.total)
        #expect(f.byNamespace.values.reduce(0, +) + f.withoutNamespace == f.total)
        #expect(f.byImage.values.reduce(0, +) + f.withoutImage == f.total)
    }
}

@Suite struct IncidentTests {
    @Test func recordsOfOnePullAreOneAttempt() throws {
        let image = "harbor.example/team/app:1"
        let lines = [
            journalLine("2026-11-22T10:00:00", node: "n1", image: image,
                        error: "failed to authorize: failed to fetch oauth token: 401 Unauthorized"),
            #"2026-11-22T10:00:01 n1 kubelet[1]: E1122 10:00:01.000000 1 remote_image.go:180] "PullImage from image service failed" "#
                + #"err="rpc error: code = Unknown desc = failed to authorize: 401 Unauthorized" image="\#(image)""#,
            #"2026-11-22T10:00:01 n1 kubelet[1]: E1122 10:00:01.000000 1 kuberuntime_image.go:55] "Failed to pull image" "#
                + #"err="rpc error: code = Unknown desc = failed to authorize: 401 Unauthorized" image="\#(image)" pod="shop/app-1""#,
            // The kubelet's retry 20 s later is a second attempt; its back-off record is not one.
            #"2026-11-22T10:00:12 n1 kubelet[1]: E1122 10:00:12.000000 1 pod_workers.go:1298] "Error syncing pod, skipping" "#
                + #"err="failed to \"StartContainer\" for \"app\" with ImagePullBackOff: "#
                + #"\"Back-off pulling image \\\"\#(image)\\\"\"" pod="shop/app-1""#,
            journalLine("2026-11-22T10:00:21", node: "n1", image: image,
                        error: "failed to authorize: failed to fetch oauth token: 401 Unauthorized"),
        ].joined(separator: "\n")
        let r = Report(scanText(lines), rules: rules)
        #expect(r.incidents.count == 1)
        let i = try #require(r.incidents.first)
        #expect(i.cause == .unauthorized && i.records == 5 && i.attempts == 2)
        #expect(i.scope == .node && i.nodes == ["n1"] && i.pods == ["shop/app-1"])
        #expect(IncidentText.summary(i, rules: rules)
                    == "harbor.example rejected credentials for team/app on node n1, 10:00–10:00 UTC, 5 failures"
                || IncidentText.summary(i, rules: rules).hasPrefix("harbor.example rejected credentials for team/app on node n1"))
        #expect(IncidentText.remediation(i, rules: rules).contains {
            $0.contains("--docker-server=harbor.example ") && $0.contains("-n shop")
        })
    }

    @Test func aQuietGapSplitsIncidents() {
        let image = "registry.example/a:1"
        let err = "failed to do request: Head \\\"https://registry.example/v2/a/manifests/1\\\": dial tcp 10.0.0.1:443: i/o timeout"
        let lines = [
            journalLine("2026-11-22T10:00:00", node: "n1", image: image, error: err),
            journalLine("2026-11-22T10:20:00", node: "n1", image: image, error: err),
            journalLine("2026-11-22T11:00:00", node: "n1", image: image, error: err),   // 40 min later
        ].joined(separator: "\n")
        let r = Report(scanText(lines), rules: rules)
        #expect(r.incidents.map(\.records) == [2, 1])
        #expect(r.incidents.allSatisfy { $0.cause == .networkTimeout })
    }

    @Test(arguments: [
        // cause, nodes, expected scope
        ("no space left on device", ["n1", "n2", "n3"], Incident.Scope.node),
        ("429 Too Many Requests - Server message: toomanyrequests: rate limit", ["n1", "n2"], .registry),
        ("docker.io/library/nginx:1.99: not found\\\": failed to resolve reference \\\"x\\\": docker.io/x: not found",
         ["n1", "n2"], .image),
        ("429 Too Many Requests - Server message: toomanyrequests: rate limit", ["n1"], .node),
    ])
    func scopeFollowsTheDocumentedRule(_ error: String, _ nodes: [String], _ scope: Incident.Scope) {
        let lines = nodes.enumerated().map { k, n in journalLine("2026-11-22T10:0\(k):00", node: n, image: "nginx:1.99", error: error) }
        let r = Report(scanText(lines.joined(separator: "\n")), rules: rules)
        #expect(r.incidents.count == 1)
        #expect(r.incidents.first?.scope == scope, "\(error)")
    }

    @Test func backoffRecordsTakeTheCauseOfTheSamePull() {
        let lines = [
            event("web-1.a", count: 1, message: tagMissing, time: "2026-11-22T10:00:00Z"),
            event("web-1.b", count: 2, message: "Error: ErrImagePull", time: "2026-11-22T10:00:00Z"),
            event("web-1.c", count: 4, message: #"Back-off pulling image \"nginx:1.99\""#, time: "2026-11-22T10:03:00Z"),
        ].joined(separator: "\n")
        let r = Report(scanText(lines), rules: rules)
        #expect(r.incidents.count == 1)
        #expect(r.incidents.first?.cause == .tagNotFound && r.incidents.first?.records == 7)
        #expect(r.failures.byCause == ["backoff": 6, "tag_not_found": 1])
    }

    @Test func unknownFailuresShowTheirMessageShapes() {
        let lines = (1...3).map { k in
            journalLine("2026-11-22T10:0\(k):00", node: "n\(k)", image: "quay.io/acme/x:\(k)",
                        error: "frobnication of layer sha256:\(String(repeating: "ab", count: 32)) "
                            + "failed after \(k * 7) tries at 10.0.0.\(k)")
        }
        let r = Report(scanText(lines.joined(separator: "\n")), rules: rules)
        let unknown = r.incidents.first { $0.cause == .unknown }
        #expect(unknown?.shapes.count == 1)
        #expect(unknown?.shapes.first?.count == 3)
        #expect(unknown?.shapes.first?.shape.contains("frobnication of layer <digest> failed after <n> tries at <ip>") == true)
    }
}

@Suite struct ReportTests {
    func samples(_ names: [String]) -> [InputSource] {
        names.map { .file(repoRoot.appendingPathComponent("samples/" + $0).path) }
    }

    static let all = ["crio-journal.log", "describe-invoicer.txt", "events-watch.json", "journal-multinode.log.gz", "journal.json"]

    @Test func mergingShardsEqualsOneScan() throws {
        let whole = BatchScanner.scan(samples(Self.all), rules: rules, options: ScanOptions(jobs: 1, decoder: fixedDecoder))
        var merged = Aggregate()
        for shard in [["journal-multinode.log.gz"], ["events-watch.json", "describe-invoicer.txt"], ["crio-journal.log", "journal.json"]] {
            let a = BatchScanner.scan(samples(shard), rules: rules, options: ScanOptions(jobs: 1, decoder: fixedDecoder))
            // Through the state file format, as `merge` reads it.
            let state = try JSONEncoder().encode(a)
            merged.merge(try JSONDecoder().decode(Aggregate.self, from: state))
        }
        #expect(JSONReport.render(Report(merged, rules: rules)) == JSONReport.render(Report(whole, rules: rules)))
        #expect(TextReport.render(Report(merged, rules: rules)) == TextReport.render(Report(whole, rules: rules)))
    }

    @Test func jsonIsTheSameWithOneOrTwoJobs() {
        let one = BatchScanner.scan(samples(Self.all), rules: rules, options: ScanOptions(jobs: 1, decoder: fixedDecoder))
        let two = BatchScanner.scan(samples(Self.all), rules: rules, options: ScanOptions(jobs: 2, decoder: fixedDecoder))
        #expect(JSONReport.render(Report(one, rules: rules)) == JSONReport.render(Report(two, rules: rules)))
    }

    @Test func theGateChangesNothingButSpeed() {
        let gated = BatchScanner.scan(samples(Self.all), rules: rules, options: ScanOptions(jobs: 1, decoder: fixedDecoder, useGate: true))
        let full = BatchScanner.scan(samples(Self.all), rules: rules, options: ScanOptions(jobs: 1, decoder: fixedDecoder, useGate: false))
        #expect(gated.counts == full.counts)
        #expect(AttemptRollupsOf(gated) == AttemptRollupsOf(full))
        #expect(gated.input.candidateLines < full.input.candidateLines)
    }

    @Test func sinceAndUntilFilterFailures() {
        let a = BatchScanner.scan(samples(["events-watch.json"]), rules: rules, options: ScanOptions(jobs: 1, decoder: fixedDecoder))
        let all = Report(a, rules: rules).failures.total
        let late = Report(a, rules: rules, window: TimeWindow(since: TimeParsing.rfc3339("2026-11-22T10:05:00Z")!.nanoseconds))
            .failures.total
        #expect(late > 0 && late < all)
    }

    @Test(arguments: ["text", "markdown", "json"])
    func goldenOutputsOnTheSamples(_ format: String) throws {
        let report = Report(BatchScanner.scan(samples(Self.all), rules: rules, options: ScanOptions(jobs: 2, decoder: fixedDecoder)),
                            rules: rules)
        // Golden files name the samples relative to the repository.
        func relative(_ s: String) -> String { s.replacingOccurrences(of: repoRoot.path + "/", with: "") }
        let rendered: String
        switch format {
        case "text": rendered = relative(TextReport.render(report))
        case "markdown": rendered = relative(MarkdownReport.render(report))
        default: rendered = relative(JSONReport.render(report))
        }
        let golden = repoRoot.appendingPathComponent(
            "Tests/PullwatchAnalysisTests/Golden/samples.\(format == "markdown" ? "md" : format == "text" ? "txt" : "json")")
        if ProcessInfo.processInfo.environment["PULLWATCH_UPDATE_GOLDEN"] == "1" {
            try rendered.write(to: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(rendered == expected,
                "golden \(golden.lastPathComponent) differs; rerun with PULLWATCH_UPDATE_GOLDEN=1 and review the diff")
    }
}

/// Rollups must not depend on how the input is cut: any split merged, or the same failures fed
/// to a live state in chunks, reports what one scan reports (docs/incidents.md, "Merging").
@Suite struct RollupTests {
    /// Every failure of the samples, in time order.
    static let observations: [Observation] = {
        var out: [Observation] = []
        let scratch = MatchScratch()
        for name in ReportTests.all {
            _ = Ingest.read(.file(repoRoot.appendingPathComponent("samples/" + name).path), options: fixedDecoder,
                            gate: rules.gate.search) { r in
                if let c = rules.classify(r, scratch: scratch) { out.append(Observation(record: r, classification: c)) }
            }
        }
        return out.sorted(by: Observation.ordered)
    }()

    static func whole() -> Report {
        var a = Aggregate()
        for o in observations { a.add(o) }
        return Report(a, rules: rules)
    }

    /// The parts of a report that must agree: counts and incidents.
    static func essence(_ r: Report) -> String {
        var copy = r
        copy.input = InputStats()
        return JSONReport.render(copy)
    }

    /// Attempts as the state store writes them read back as they were.
    @Test func attemptJSONReadsBackWhole() throws {
        var some = Array(Self.observations.prefix(50).map { AttemptRollup($0, weight: 2) })
        var odd = some[0]
        odd.node = nil
        odd.samples = ["quote \" backslash \\ tab \t nul \u{0} é 😀", ""]
        odd.pods = ["ns/\"p\"": 3]
        odd.shapes = [:]
        some.append(odd)
        for a in some {
            #expect(try JSONDecoder().decode(AttemptRollup.self, from: Data(a.jsonBytes())) == a)
        }
    }

    @Test(arguments: [1, 2, 7])
    func anySplitMergedThroughStateFilesEqualsOneScan(_ seed: UInt64) throws {
        var rng = SplitMix(seed: seed)
        var shards = [Aggregate](repeating: Aggregate(), count: 5)
        // Each failure to a random shard: shards cut through attempts, incidents and events.
        for o in Self.observations { shards[Int(rng.next() % 5)].add(o) }
        var merged = Aggregate()
        for s in shards.shuffled(using: &rng) {
            merged.merge(try JSONDecoder().decode(Aggregate.self, from: try JSONEncoder().encode(s)))
        }
        #expect(Self.essence(Report(merged, rules: rules)) == Self.essence(Self.whole()))
    }

    @Test(arguments: [3, 11])
    func aLiveStateFedInChunksEqualsOneScan(_ seed: UInt64) {
        var rng = SplitMix(seed: seed)
        var state = LiveState()
        var i = 0
        let all = Self.observations
        while i < all.count {
            let n = 1 + Int(rng.next() % 50)
            for o in all[i..<min(i + n, all.count)] { state.add(o) }
            state.settle()
            _ = state.takeChanges()
            i += n
        }
        #expect(Self.essence(state.report(rules: rules)) == Self.essence(Self.whole()))
        // Attempts were made final as the failures went by: only the last minute's stay open.
        #expect(state.open.count < 40)
    }

    @Test func aMergeOfAStateWithItselfSplitsNothing() throws {
        // The same observation in two shards counts twice (they are different lines), but
        // stays one attempt and one incident.
        let o = Self.observations.first { $0.eventKey == nil && $0.time != nil }!
        var a = Aggregate(), b = Aggregate()
        a.add(o); b.add(o)
        a.merge(b)
        let r = Report(a, rules: rules)
        #expect(r.failures.total == 2 && r.incidents.count == 1 && r.incidents[0].attempts == 1)
    }
}

/// A small deterministic generator for the split tests.
