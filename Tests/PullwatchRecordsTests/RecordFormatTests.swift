import Testing
import Foundation
import PullwatchIO
import PullwatchRecords

/// Years are inferred against a fixed instant so tests do not depend on today's date.
let fixedOptions = DecoderOptions(years: YearInference(reference: TimeParsing.rfc3339("2025-11-23T00:00:00Z")!))

func decode(_ text: String, name: String = "test.log", chunks: [Int] = []) -> ([Record], IngestSummary) {
    var records: [Record] = []
    let summary = Ingest.read(ChunkedReader(Array(text.utf8), chunkSizes: chunks), name: name, options: fixedOptions) { records.append($0) }
    return (records, summary)
}

func fixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil))
    return try String(contentsOf: url, encoding: .utf8)
}

func t(_ s: String) -> Timestamp { TimeParsing.rfc3339(s)! }

@Suite struct JournalAndKlogTests {
    @Test func journalShortTextWithKlogPayload() throws {
        let (records, summary) = decode(try fixture("journal-formats.txt"))
        #expect(summary.errors.isEmpty)
        #expect(records.count == 9)
        let banner = records[0]
        #expect(banner.format == .plain && banner.node == nil)

        let k = records[1]
        #expect(k.envelope == .journal && k.format == .kubelet)
        #expect(k.node == "node-a" && k.component == "kubelet" && k.level == "E")
        #expect(k.timestamp == t("2025-11-22T10:00:00Z"))
        #expect(k.field("image") == "nginx:1.99")
        #expect(k.message == #"Failed to pull image err="rpc error: code = NotFound desc = failed to pull and unpack image "#
                             + #""docker.io/library/nginx:1.99": not found" image=nginx:1.99"#)

        let c = records[2]   // short-iso envelope, logrus payload
        #expect(c.node == "node-b" && c.component == "containerd" && c.format == .logrus && c.level == "error")
        #expect(c.timestamp == t("2025-11-22T10:00:01Z"))
        #expect(c.message.hasPrefix(#"PullImage "quay.io/org/app:1" failed error="rpc error"#))
        #expect(c.message.contains(#"reference "quay.io/org/app:1": unexpected status: 401 UNAUTHORIZED""#))

        let crio = records[3] // short-precise, CRI-O logrus with a space in time=
        #expect(crio.component == "crio" && crio.node == "node-c")
        #expect(crio.timestamp == t("2025-11-22T10:00:02.24Z"))
        #expect(crio.field("name") == "/runtime.v1.ImageService/PullImage")

        let pri = records[4] // RFC 3164 with PRI
        #expect(pri.node == "node-d" && pri.component == "kubelet" && pri.format == .kubelet)
        #expect(pri.timestamp == t("2025-11-22T10:00:03Z"))

        let s5424 = records[5] // RFC 5424 with structured data and an offset
        #expect(s5424.envelope == .syslog5424 && s5424.node == "node-e" && s5424.component == "containerd")
        #expect(s5424.timestamp == t("2025-11-22T09:00:04.123456Z"))
        #expect(s5424.message == #"PullImage "x" failed"#)

        let old = records[6] // unstructured klog: pod from name_namespace(uid)
        #expect(old.format == .kubelet && old.pod == "web-6f9c7d-x2x9p" && old.namespace == "shop")
        #expect(old.component == "kubelet" && old.node == nil)

        let dockershim = records[7] // yearless klog from August read in November: same year
        #expect(dockershim.timestamp == t("2025-08-16T20:28:50.954352Z"))
        #expect(records[8].format == .plain && records[8].message == "just some words that match no format")
    }

    @Test func klogNestedGoQuotingIsUndone() {
        let line = #"E1122 10:00:01.123456    2345 pod_workers.go:1298] "Error syncing pod, skipping" "#
            + #"err="failed to \"StartContainer\" for \"app\" with ImagePullBackOff: "#
            + #"\"Back-off pulling image \\\"registry.corp.example/platform/sidecar:1.4.2\\\"\"" pod="kube-system/sidecar-x" podUID="3f1c""#
        let (records, _) = decode(line)
        let r = records[0]
        #expect(r.namespace == "kube-system" && r.pod == "sidecar-x")
        #expect(r.field("err") == #"failed to "StartContainer" for "app" with ImagePullBackOff: "#
                                  + #""Back-off pulling image "registry.corp.example/platform/sidecar:1.4.2"""#)
    }

    @Test func yearInferenceRollsBackOverNewYear() {
        let years = YearInference(reference: t("2026-01-02T00:00:00Z"))
        #expect(years.resolve(month: 12, day: 31, secondsOfDay: 3600, nanos: 0) == t("2025-12-31T01:00:00Z"))
        #expect(years.resolve(month: 1, day: 2, secondsOfDay: 3600, nanos: 0) == t("2026-01-02T01:00:00Z"))
        #expect(years.resolve(month: 13, day: 1, secondsOfDay: 0, nanos: 0) == nil)
    }

    @Test func timestampsParseAndPrint() {
        #expect(t("2025-11-22T10:00:00.123456789Z").description == "2025-11-22T10:00:00.123456789Z")
        #expect(t("2025-11-22T10:00:00+01:00") == t("2025-11-22T09:00:00Z"))
        #expect(t("2025-11-22 10:00:00.5 +0000 UTC") == t("2025-11-22T10:00:00.5Z"))
        #expect(t("1969-12-31T23:59:59Z").description == "1969-12-31T23:59:59Z")
        #expect(TimeParsing.rfc3339("2025-02-30T00:00:00Z") == nil)
        #expect(TimeParsing.rfc3339("not a time") == nil)
    }
}

@Suite struct StructuredJSONLogTests {
    @Test func theErrorBesideTheMessageJoinsIt() {
        let line = #"{"level":"error","ts":"2026-11-22T10:00:00Z","msg":"request to mirror failed","#
            + #""error":"unexpected status code 404","image":"ghcr.io/acme/x:1"}"#
        let (records, _) = decode(line + "\n")
        #expect(records.count == 1)
        #expect(records.first?.message == #"request to mirror failed error="unexpected status code 404" image=ghcr.io/acme/x:1"#)
        // A shipper's `log` is the whole line already: nothing is added.
        let (shipped, _) = decode(#"{"log":"pulling failed","error":"x"}"# + "\n")
        #expect(shipped.first?.message == "pulling failed")
    }

    @Test func anAPIErrorsNestedDetailsJoinItsMessage() {
        // Azure Resource Manager: the outer message only says a deployment failed.
        let line = #"{"code":"DeploymentFailed","message":"At least one resource deployment operation failed.","#
            + #""details":[{"code":"InaccessibleImage","message":"The image 'acme/x:1' in container group 'g' is not accessible."}]}"#
        let (records, _) = decode(line + "\n")
        #expect(records.first?.message
            == #"At least one resource deployment operation failed. InaccessibleImage="The image 'acme/x:1' in container group 'g' is not accessible.""#)
        // A plain JSON object without `details` is unchanged.
        let (plain, _) = decode(#"{"message":"pull failed","details":"none"}"# + "\n")
        #expect(plain.first?.message == "pull failed")
    }
}

@Suite struct JournalJSONTests {
    @Test func messageAsStringByteArrayOrNull() {
        let lines = [
            #"{"__REALTIME_TIMESTAMP":"1763805600000000","_HOSTNAME":"node-a","SYSLOG_IDENTIFIER":"kubelet","#
                + #""_SYSTEMD_UNIT":"kubelet.service","MESSAGE":"E1122 10:00:00.000000    1 remote_image.go:180] "#
                + #"\"PullImage from image service failed\" err=\"x\" image=\"nginx:1.99\""}"#,
            #"{"__REALTIME_TIMESTAMP":"1763805601000000","_HOSTNAME":"node-a","_SYSTEMD_UNIT":"containerd.service","MESSAGE":"#
                + #"[116,105,109,101,61,34,50,48,50,53,45,49,49,45,50,50,84,49,48,58,48,48,58,48,49,90,34,32,108,101,118,101,108,61,"#
                + #"101,114,114,111,114,32,109,115,103,61,34,98,97,100,32,255,34,10]}"#,
            #"{"__REALTIME_TIMESTAMP":"1763805602000000","_HOSTNAME":"node-a","SYSLOG_IDENTIFIER":"kubelet","MESSAGE":null}"#,
        ]
        let (records, summary) = decode(lines.joined(separator: "\n") + "\n")
        #expect(summary.errors.isEmpty)
        #expect(records.count == 3)
        #expect(records[0].envelope == .journalJSON && records[0].format == .kubelet)
        #expect(records[0].node == "node-a" && records[0].component == "kubelet")
        #expect(records[0].timestamp == Timestamp(seconds: 1_763_805_600))
        #expect(records[0].field("image") == "nginx:1.99")
        #expect(records[1].component == "containerd" && records[1].format == .logrus)
        #expect(records[1].message == "bad \u{FFFD}")
        #expect(records[1].timestamp == Timestamp(seconds: 1_763_805_601))
        #expect(records[2].message == "" && records[2].node == "node-a")
    }

    @Test func malformedJSONLineIsCountedAndTheRestIsRead() {
        let text = #"{"_HOSTNAME":"a","MESSAGE":"one"}"# + "\n" + #"{"_HOSTNAME":"b","MESSAGE":"two}"# + "\n"
            + #"{"_HOSTNAME":"c","MESSAGE":"three"}"# + "\n"
        let (records, summary) = decode(text)
        #expect(records.map(\.node) == ["a", "c"] || records.map(\.message).contains("three"))
        #expect(records.contains { $0.message == "three" })
        #expect(summary.errors.count >= 1)
        #expect(summary.errors.first?.line == 2)
    }
}

@Suite struct ShipperRecordTests {
    let kubeletLine = #"E1122 10:00:00.000000 1 remote_image.go:180] "PullImage from image service failed" "#
        + #"err="not found" image="nginx:1.99""#

    @Test func fluentBitAndVectorRecordsByTheUsualKeys() {
        let escaped = kubeletLine.replacingOccurrences(of: "\"", with: "\\\"")
        let fluent = #"{"date":1763805600.0,"log":"\#(escaped)","kubernetes":{"host":"node-a","pod_name":"web-1","namespace_name":"shop"}}"#
        // Vector's journald source keeps the journal's fields but renames MESSAGE and _HOSTNAME.
        let vector = #"{"__REALTIME_TIMESTAMP":"1763805600000000","_SYSTEMD_UNIT":"kubelet.service","SYSLOG_IDENTIFIER":"kubelet","#
            + #""message":"\#(escaped)","host":"node-b","source_type":"journald","timestamp":"2025-11-22T10:00:00Z"}"#
        let (records, summary) = decode(fluent + "\n" + vector + "\n")
        #expect(summary.errors.isEmpty)
        #expect(records.map(\.node) == ["node-a", "node-b"])
        #expect(records.allSatisfy { $0.message.contains("PullImage from image service failed") })
        #expect(records[0].pod == "web-1" && records[0].namespace == "shop")
        #expect(records[1].component == "kubelet" && records[1].timestamp == t("2025-11-22T10:00:00Z"))
    }

    @Test func gatedJournalJSONKeepsByteArrayMessages() throws {
        // journalctl writes `"MESSAGE" : [ … ]` for non-UTF-8 messages: the text is not visible
        // to the gate, so such a line is always parsed.
        let message = Array((#"E1122 10:00:00.000000 1 remote_image.go:180] "PullImage from image service failed" "#
            + #"err="not found" image="nginx:1.99" \#u{FF}"#).utf8)
        let line = #"{ "__CURSOR" : "s=1", "__REALTIME_TIMESTAMP" : "1763805600000000", "_HOSTNAME" : "node-a", "#
            + #""SYSLOG_IDENTIFIER" : "kubelet", "MESSAGE" : ["#
            + message.map(String.init).joined(separator: ", ") + " ] }\n"
        let gate = LiteralSet([Array("image service failed".utf8)])
        var records: [Record] = []
        Ingest.read(ChunkedReader(Array(line.utf8)), name: "j", options: fixedOptions, gate: gate) { records.append($0) }
        #expect(records.count == 1)
        #expect(records.first?.message.contains("PullImage from image service failed") == true)
        // The same entry as a string, and one without the literal: the latter is skipped.
        let plain = #"{ "_HOSTNAME" : "node-a", "MESSAGE" : "Started kubelet." }"# + "\n"
        records = []
        let summary = Ingest.read(ChunkedReader(Array(plain.utf8)), name: "j", options: fixedOptions, gate: gate) { records.append($0) }
        #expect(records.isEmpty && summary.lines == 1 && summary.decodedLines == 0)
    }

    @Test func configuredKeysComeFirstAndDottedKeysArePaths() {
        var options = fixedOptions
        options.keys = RecordKeys(preferring: ["payload.text"], host: ["meta.node", "agent.name"])
        let line = #"{"payload":{"text":"pulling failed"},"message":"not this","meta":{"node":"node-c"},"host":"not-this"}"# + "\n"
            + #"{"message":"fallback works","agent.name":"node-d"}"# + "\n"
        var records: [Record] = []
        _ = Ingest.read(ChunkedReader(Array(line.utf8)), name: "keys", options: options) { records.append($0) }
        #expect(records.map(\.message) == ["pulling failed", "fallback works"])
        #expect(records.map(\.node) == ["node-c", "node-d"])
    }
}

@Suite struct EventTests {
    @Test func prettyWatchStreamWholeByteByByteAndRandomChunks() throws {
        let text = try fixture("events-watch-pretty.json")
        let whole = decode(text).0
        #expect(whole.count == 2)
        let first = whole[0]
        #expect(first.format == .event && first.component == "event")
        #expect(first.node == "node-a" && first.namespace == "shop" && first.pod == "web-6f9c7d-x2x9p" && first.container == "web")
        #expect(first.event?.name == "web-6f9c7d-x2x9p.17a9b3c5d1e2f3a4" && first.event?.count == 1 && first.event?.reason == "Failed")
        #expect(first.timestamp == t("2025-11-22T10:00:00Z"))
        #expect(first.line == 1)
        #expect(whole[1].event?.count == 2 && whole[1].line == 26)
        #expect(decode(text, chunks: [1]).0 == whole)
        var rng = SystemRandomNumberGenerator()
        #expect(decode(text, chunks: (0..<40).map { _ in Int.random(in: 1...200, using: &rng) }).0 == whole)
    }

    @Test func listOfEventsK8sIoV1() throws {
        let (records, summary) = decode(try fixture("events-list.json"))
        #expect(summary.errors.isEmpty)
        #expect(records.count == 2)
        #expect(records[0].node == "node-b" && records[0].event?.count == 7 && records[0].container == "api")
        #expect(records[0].timestamp == t("2025-11-22T11:05:00Z"))
        #expect(records[0].message.hasPrefix("Failed to pull image"))
        #expect(records[1].node == "node-c" && records[1].event?.count == 3)
        #expect(records[1].timestamp == t("2025-11-22T11:06:00Z"))
    }

    @Test func watchEnvelopesOnePerLine() {
        let line = #"{"type":"MODIFIED","object":{"kind":"Event","metadata":{"name":"p.1","namespace":"ns"},"#
            + #""involvedObject":{"kind":"Pod","name":"p","namespace":"ns"},"#
            + #""reason":"Failed","message":"Error: ErrImagePull","count":5,"#
            + #""reportingInstance":"node-z","lastTimestamp":"2025-11-22T10:00:00Z"}}"#
        let (records, _) = decode(line + "\n" + line)
        #expect(records.count == 2)
        #expect(records[0].node == "node-z" && records[0].event?.count == 5 && records[0].pod == "p")
    }

    @Test func describeRowsTakePodAndNodeFromTheHeader() throws {
        let text = """
        Name:             invoicer-5d4b8-7hq2m
        Namespace:        billing
        Node:             ip-10-0-2-41/10.0.2.41
        Events:
          Type     Reason     Age                  From               Message
          ----     ------     ----                 ----               -------
          Normal   Pulling    10m (x4 over 12m)    kubelet            Pulling image "harbor.corp.example:8443/team/billing:2.4.1"
          Warning  Failed     10m (x4 over 12m)    kubelet            Failed to pull image \
        "harbor.corp.example:8443/team/billing:2.4.1": 401  Unauthorized
          Normal   BackOff    2m (x44 over 12m)    kubelet            Back-off pulling image "harbor.corp.example:8443/team/billing:2.4.1"
        """
        let rows = decode(text).0.filter { $0.format == .describe }
        #expect(rows.count == 3)
        #expect(rows[1].pod == "invoicer-5d4b8-7hq2m" && rows[1].namespace == "billing" && rows[1].node == "ip-10-0-2-41")
        #expect(rows[1].event?.count == 4 && rows[1].event?.reason == "Failed")
        #expect(rows[1].message == #"Failed to pull image "harbor.corp.example:8443/team/billing:2.4.1": 401  Unauthorized"#)
        #expect(rows[2].event?.count == 44)
    }

    @Test func describeRowsWithNodeInFromAndNoHeader() {
        let row = #"  Warning  Failed     1m (x4 over 2m)    kubelet, gke-pool-7szt  Failed to pull image "#
            + #""gcr.io/google-containers/prometheus-to-sd:v0.2.6": rpc error: code = Unknown"#
        let r = decode(row).0[0]
        #expect(r.format == .describe && r.node == "gke-pool-7szt" && r.event?.count == 4)
        #expect(r.message.hasPrefix("Failed to pull image"))
    }

    @Test func legacyTabSeparatedDescribe() throws {
        let rows = decode(try fixture("describe-legacy.txt")).0.filter { $0.format == .describe }
        #expect(rows.count == 3)
        #expect(rows[1].node == "rootfs-dev" && rows[1].event?.count == 8 && rows[1].event?.reason == "Failed")
        #expect(rows[1].message == #"Failed to pull image "kubernetes/pause": image pull failed for unknown error"#)
        #expect(rows[2].event?.reason == "FailedSync")
    }

    @Test func getEventsTables() throws {
        let rows = decode(try fixture("get-events.txt")).0.filter { $0.format == .eventTable }
        #expect(rows.count == 5)
        #expect(rows[0].namespace == "shop" && rows[0].pod == "web-6f9c7d-x2x9p" && rows[0].event?.reason == "Failed")
        // Pre-1.14 layout; the second row's SUBOBJECT cell is empty.
        #expect(rows[3].pod == "old-pod-1" && rows[3].node == "node-old-1" && rows[3].event?.count == 6)
        #expect(rows[3].message.hasPrefix(#"Failed to pull image "acme/old:1": rpc error"#))
        #expect(rows[4].node == "node-old-1" && rows[4].event?.reason == "BackOff"
                && rows[4].message == #"Back-off pulling image "acme/old:1""#)
        #expect(rows[0].message == #"Failed to pull image "nginx:1.99": not found"#)
        #expect(rows[2].namespace == nil && rows[2].pod == "api-0" && rows[2].message == "Error: ImagePullBackOff")
    }
}

@Suite struct ContainerLogTests {
    @Test func criPartialsJoinPerStreamWhateverTheChunking() throws {
        let text = try fixture("cri-container.log")
        let name = "/var/log/pods/shop_api-0_0f4e8a6c/api/0.log"
        let whole = decode(text, name: name).0
        #expect(whole.count == 3)
        #expect(whole[0].message == "plain out line" && whole[0].envelope == .cri)
        #expect(whole[1].message == "interleaved stdout line")
        let joined = whole[2]
        #expect(joined.format == .kubelet && joined.line == 2)
        #expect(joined.timestamp == t("2025-11-22T10:00:01.1Z"))
        #expect(joined.field("err")
                == #"rpc error: code = Unknown desc = failed to pull and unpack image "ghcr.io/acme/api:v2": 429 Too Many Requests"#)
        #expect(joined.namespace == "shop" && joined.pod == "api-0" && joined.container == "api")
        #expect(decode(text, name: name, chunks: [1]).0 == whole)
        #expect(decode(text, name: name, chunks: [13, 2, 99]).0 == whole)
    }

    @Test func unfinishedPartialIsFlushedAtTheEnd() {
        let (records, _) = decode("2025-11-22T10:00:00Z stderr P only a partial")
        #expect(records.map(\.message) == ["only a partial"])
    }

    @Test func dockerJSONFileJoinsFragments() throws {
        let (records, summary) = decode(try fixture("docker-json.log"), name: "/var/log/containers/tool-1_ops_tool-0123456789abcdef.log")
        #expect(summary.errors.isEmpty)
        #expect(records.count == 2)
        #expect(records[0].message == "first part of a long line and its end" && records[0].envelope == .dockerJSON)
        #expect(records[0].namespace == "ops" && records[0].pod == "tool-1" && records[0].container == "tool")
        #expect(records[1].message.hasPrefix("Error response from daemon: manifest for acme/tool:9 not found"))
    }
}

@Suite struct RobustnessTests {
    @Test func binaryJunkAndInvalidUTF8NeverCrashAndEveryLineBecomesARecord() {
        var rng = SystemRandomNumberGenerator()
        var bytes = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes += Array("\nNov 22 10:00:00 node-a kubelet[1]: after the junk\n".utf8)
        var records: [Record] = []
        let summary = Ingest.read(ChunkedReader(bytes, chunkSizes: [4096]), name: "junk", options: fixedOptions) { records.append($0) }
        #expect(summary.records == records.count)
        #expect(records.last?.node == "node-a")
        #expect(summary.lines >= records.count - 1)
    }

    @Test func twentyMegabyteLineIsCutCountedAndReported() {
        var bytes = Array("Nov 22 10:00:00 node-a kubelet[1]: ".utf8) + [UInt8](repeating: 0x61, count: 20 << 20)
        bytes += Array("\nNov 22 10:00:01 node-b kubelet[1]: next\n".utf8)
        var records: [Record] = []
        let summary = Ingest.read(ChunkedReader(bytes, chunkSizes: [1 << 16]), name: "big.log", options: fixedOptions) {
            records.append($0)
        }
        #expect(records.count == 2)
        #expect(records[1].node == "node-b" && records[1].message == "next")
        #expect(summary.truncatedLines == 1)
        #expect(summary.errors.map(\.description) == ["big.log:1: line longer than 1048576 bytes; the rest was skipped"])
    }

    @Test func textLineStartingWithABraceIsNotSwallowed() {
        let text = "{not json at all\nNov 22 10:00:00 node-a kubelet[1]: fine\n{\"unterminated\": [1, 2,\n"
        let (records, summary) = decode(text)
        #expect(records.map(\.message).contains("{not json at all"))
        #expect(records.contains { $0.node == "node-a" })
        #expect(records.count == 3)
        #expect(summary.errors.count == 1)
    }

    @Test func aBracketedPrefixThenTextIsOneTextRecord() {
        // dmesg-style times and bracketed tags look like JSON arrays up to the first word
        let text = "[ 1439.299779] [talos] service[etcd](Failed): failed to pull image \"gcr.io/acme/etcd:3\": 1 error(s) occurred:\n"
            + "{\"a\":1} and then words\n[1,2] [3]\n"
        let (records, summary) = decode(text)
        // (values and nothing else, several on a line, are still values: one record each)
        #expect(records.count == 4)
        #expect(records[0].message.hasPrefix("[ 1439.299779] [talos]"))
        #expect(records[1].message == "{\"a\":1} and then words")
        #expect(records[2].line == 3 && records[3].line == 3)
        #expect(summary.errors.isEmpty)
    }

    @Test func truncatedGzipStillYieldsEarlierRecordsAndAnOffsetError() throws {
        let dir = NSTemporaryDirectory() + "pw-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = (0..<20000).map { "Nov 22 10:00:00 node-\($0 % 3) kubelet[1]: line \($0) with some words to compress\n" }.joined()
        let gz = GzipCompressor.compress(Array(text.utf8))
        let path = dir + "/cut.log.gz"
        FileManager.default.createFile(atPath: path, contents: Data(gz[..<(gz.count * 2 / 3)]))
        var count = 0
        let summary = Ingest.read(.file(path), options: fixedOptions) { _ in count += 1 }
        #expect(count > 5000)
        #expect(summary.errors.count == 1)
        #expect(summary.errors[0].description.hasPrefix(path + ": gzip data truncated at compressed byte offset"))
    }
}

/// Fixtures printed by the real journalctl from a journal file that systemd-journal-remote
/// wrote (scripts/make-journal-fixtures.py): the same five entries in four output formats.
@Suite struct RealJournalctlOutputTests {
    @Test func jsonOutput() throws {
        let (records, summary) = decode(try fixture("journalctl-json.txt"))
        #expect(summary.errors.isEmpty)
        #expect(records.map(\.node) == ["node-a", "node-a", "node-b", "node-b", "node-c"])
        #expect(records.map(\.component) == ["kubelet", "containerd", "kubelet", "kubelet", "crio"])
        #expect(records.map(\.timestamp) == (0..<5).map { Timestamp(seconds: 1_763_805_600 + Int64($0)) })
        #expect(records[0].field("image") == "nginx:1.99" && records[0].format == .kubelet)
        #expect(records[1].format == .logrus && records[1].message.contains(#"image "docker.io/library/nginx:1.99": not found"#))
        // journalctl prints a MESSAGE with invalid UTF-8 as a byte array…
        #expect(records[2].message.contains("bad byte \u{FFFD} here"))
        // …and one over 4096 bytes as null (without --all).
        #expect(records[3].message == "" && records[3].format == .plain)
        #expect(records[4].field("name") == "/runtime.v1.ImageService/PullImage")
    }

    @Test(arguments: ["journalctl-short.txt", "journalctl-short-iso.txt", "journalctl-short-precise.txt"])
    func shortOutputs(_ name: String) throws {
        let (records, summary) = decode(try fixture(name))
        #expect(summary.errors.isEmpty)
        #expect(records.map(\.node) == ["node-a", "node-a", "node-b", "node-b", "node-c"])
        #expect(records.map(\.component) == ["kubelet", "containerd", "kubelet", "kubelet", "crio"])
        #expect(records[0].timestamp == Timestamp(seconds: 1_763_805_600) || name.hasSuffix("precise.txt"))
        #expect(records[0].field("image") == "nginx:1.99")
        #expect(records[2].message == "[81B blob data]")
        #expect(records[3].message.hasPrefix("long.go:1] ") == false && records[3].format == .kubelet)
        // The containerd line: logrus time (with its year) is used under a yearless header.
        #expect(records[1].timestamp
                == TimeParsing.rfc3339(name == "journalctl-short-iso.txt" ? "2025-11-22T10:00:01Z" : "2025-11-22T10:00:00.1Z"))
    }
}

/// Regression: follow fixed its year reference at start, so after a day of running, yearless
/// klog and syslog lines written today resolved to the previous year (issue 11).
@Suite struct YearFollowsTheClockTests {
    @Test func aLongRunningDecoderDatesTodaysLinesInTodaysYear() {
        let start = t("2026-03-01T00:00:00Z")
        var years = YearInference(reference: start)
        years.followsClock = true
        let decoder = RecordDecoder(source: "kubelet.log", options: DecoderOptions(years: years))
        // Written three days after the decoder started.
        let line = "Mar 04 10:00:00 node-a kubelet[1]: E0304 10:00:00.000000 1 kuberuntime_image.go:55] \"Failed to pull image\""
        func year() -> Int64? {
            var records: [Record] = []
            line.withBytes { decoder.decode(Line(bytes: $0, number: 1)) { records.append($0) } }
            return records.first?.timestamp.map { Civil.date(fromDays: $0.seconds / 86_400).year }
        }
        #expect(year() == 2025)                       // what a fixed reference does: a year back
        decoder.followClock(now: t("2026-03-04T10:00:01Z"))
        #expect(year() == 2026)
    }

    @Test func blocksReadTheClock() {
        var years = YearInference(reference: t("2020-01-01T00:00:00Z"))
        years.followsClock = true
        let decoder = RecordDecoder(source: "x", options: DecoderOptions(years: years))
        var blocks = BlockDecoder(decoder: decoder, gate: nil)
        var summary = IngestSummary()
        let bytes = Array("Jan 02 00:00:00 node-a kubelet[1]: hello\n".utf8)
        bytes.withUnsafeBytes {
            blocks.process(LineBlock(bytes: $0, firstLineNumber: 1, lineCount: 1, truncated: false), summary: &summary) { _ in }
        }
        #expect(decoder.options.years.reference.seconds > t("2026-01-01T00:00:00Z").seconds)
    }

    @Test func aFixedReferenceStaysFixed() {
        let decoder = RecordDecoder(source: "x", options: fixedOptions)
        decoder.followClock()
        #expect(decoder.options.years.reference == fixedOptions.years.reference)
    }
}
