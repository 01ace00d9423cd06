import Testing
import Foundation
import PullwatchIO
import PullwatchRecords
@testable import PullwatchRules

let builtIn = try! RuleSet.load()

func classify(_ line: String, rules: RuleSet = builtIn) -> Classification? {
    let tester = RuleTester(ruleSet: rules)
    return rules.classify(tester.record(for: line), scratch: MatchScratch())
}

@Suite struct BuiltInRuleTests {
    @Test func everyRuleProvesItselfWithItsSamples() {
        let summary = RuleTester(ruleSet: builtIn).run()
        #expect(summary.failures.map(\.description) == [])
        #expect(summary.samples >= 63)
    }

    @Test func everyCauseHasRulesAndAtLeastThreeSamples() {
        for cause in Cause.allCases {
            let samples = builtIn.rules.filter { $0.cause == cause && !$0.isVeto }.reduce(0) { $0 + $1.samples.count }
            #expect(samples >= 3, "\(cause.rawValue) has \(samples) samples")
            #expect(builtIn.causes[cause] != nil)
        }
    }

    @Test func everySamplePassesTheGate() {
        // A veto's samples are lines it keeps from being failures: they need not pass.
        for rule in builtIn.rules where !rule.isVeto {
            for sample in rule.samples {
                #expect(builtIn.gate.passes(sample.line), "\(sample.location) (\(rule.id)) does not pass the gate")
            }
        }
    }

    @Test func everyGateLiteralSurvivesJSONEscaping() {
        // Otherwise JSON lines (journal, shippers) could not be gated and all reach the decoder.
        #expect(JSONValidation.setSurvivesEscaping(builtIn.gate.literals), """
                literals that JSON escaping can hide: \
                \(builtIn.gate.literals.filter { JSONValidation.escaped($0) == nil }.map { String(decoding: $0, as: UTF8.self) })
                """)
    }

    @Test func theGateHoldsForSamplesShippedAsJSON() throws {
        // With literals that survive JSON escaping, one-line JSON records without one are
        // skipped unparsed; every sample, as a shipper would send it, must still classify
        // exactly as when every line is parsed.
        #expect(JSONValidation.setSurvivesEscaping(builtIn.gate.search.literals))
        let options = DecoderOptions(years: YearInference(reference: TimeParsing.rfc3339("2025-11-23T00:00:00Z")!))
        func classes(_ body: String, gated: Bool) -> [String] {
            let scratch = MatchScratch()
            var out: [String] = []
            Ingest.read(ChunkedReader(Array(body.utf8)), name: "shipper", options: options, gate: gated ? builtIn.gate.search : nil) { r in
                if let c = builtIn.classify(r, scratch: scratch) { out.append("\(c.cause.rawValue) \(c.ruleID) \(c.image ?? "-")") }
            }
            return out
        }
        var lines: [String] = []
        for rule in builtIn.rules {
            for sample in rule.samples {
                for wrapper: [String: Any] in [
                    ["MESSAGE": sample.line, "_HOSTNAME": "node-a", "SYSLOG_IDENTIFIER": "kubelet", "date": 1763805600.5],
                    ["__REALTIME_TIMESTAMP": "1763805600000000", "message": sample.line, "host": "node-b", "source_type": "journald"],
                    ["log": sample.line, "stream": "stderr", "kubernetes": ["host": "node-c", "pod_name": "p", "namespace_name": "n"]],
                ] {
                    let data = try JSONSerialization.data(withJSONObject: wrapper, options: [.sortedKeys, .withoutEscapingSlashes])
                    lines.append(String(decoding: data, as: UTF8.self))
                }
            }
        }
        let body = lines.joined(separator: "\n") + "\n"
        let full = classes(body, gated: false)
        #expect(full.count >= lines.count * 9 / 10)
        #expect(classes(body, gated: true) == full)
    }

    @Test(arguments: [
        #"  Normal   Pulling    1m    kubelet  Pulling image "nginx:1.27""#,
        #"  Normal   Pulled     30s   kubelet  Successfully pulled image "nginx:1.27" in 2.31s "#
            + #"(2.31s including waiting). Image size: 48213921 bytes."#,
        #"  Normal   Pulled     5s    kubelet  Container image "scratchpad:dev" already present on machine"#,
        #"  Warning  BackOff    3m (x12 over 5m)   kubelet  Back-off restarting failed container app in pod web-1_shop(3f1c)"#,
        #"E1122 10:00:01.000000    2345 pod_workers.go:1298] "Error syncing pod, skipping" "#
            + #"err="failed to \"StartContainer\" for \"app\" with CrashLoopBackOff: "#
            + #"\"back-off 5m0s restarting failed container=app pod=web-1_shop(3f1c)\"" pod="shop/web-1""#,
        #"time="2025-11-22T10:00:00Z" level=info msg="PullImage \"nginx:1.27\"""#,
        #"time="2025-11-22T10:00:02Z" level=info msg="ImageCreate event name:\"docker.io/library/nginx:1.27\" "#
            + #"labels:{key:\"io.cri-containerd.image\" value:\"managed\"}""#,
        #"E1122 10:00:00.000000    2345 kubelet_pods.go:107] "Failed to get secret" err="secret \"db-creds\" not found" pod="shop/web-1""#,
        #"E1122 10:00:00.000000    2345 controller.go:145] "Failed to ensure lease exists, will retry" "#
            + #"err="Get \"https://api.example:6443/apis\": dial tcp: lookup api.example on 10.0.0.2:53: no such host""#,
        "Error syncing pod, skipping: mkdir /var/lib/kubelet/pods/bb1e: no space left on device",
        #"W1122 10:00:00.000000    2345 cadvisor_stats_provider.go:469] "Partial failure issuing cadvisor.ContainerInfoV2" "#
            + #"err="partial failures: [\"/kubepods.slice\": RecentStats: unable to find data in memory cache]""#,
        "Nov 22 10:00:00 node-a systemd[1]: Started containerd.service - containerd container runtime.",
    ])
    func ordinaryLinesAreNotFailures(_ line: String) {
        #expect(classify(line) == nil)
    }

    @Test func thePrimaryErrorDecidesOverTheMirrorsTried() {
        let mirrors = #"Error: initializing source docker://quay.io/acme/x:1: (Mirrors also failed: [mirror.example:5000/acme/x:1: "#
            + #"reading manifest 1 in mirror.example:5000/acme/x: unauthorized: authentication required]): quay.io/acme/x:1: "#
        // The primary registry refused the connection: that decides, not the mirror's 401.
        let primary = classify(mirrors + #"pinging container registry quay.io: Get "https://quay.io/v2/": "#
                               + #"dial tcp 10.0.0.9:443: connect: connection refused"#)
        #expect(primary?.cause == .connectionFailed)
        #expect(primary?.registry == "quay.io")
        // The primary error states no cause: the mirror's does.
        #expect(classify(mirrors + "something nobody has seen")?.cause == .unauthorized)
        #expect(RuleSet.maskingMirrorErrors("no mirrors here") == nil)
        #expect(RuleSet.maskingMirrorErrors("a (Mirrors also failed: [m: [x] y]): b") == "a (Mirrors also failed: [        ]): b")
    }

    @Test func mostSpecificCauseWins() {
        // A DNS lookup that timed out is dns_failure, not network_timeout.
        #expect(classify(#"Failed to pull image "k8s.gcr.io/pause:3.2": rpc error: code = Unknown desc = "#
                         + #"Error response from daemon: Get https://k8s.gcr.io/v2/: dial tcp: lookup k8s.gcr.io on 10.0.2.3:53: "#
                         + #"read udp 10.0.2.15:44781->10.0.2.3:53: i/o timeout"#)?.cause == .dnsFailure)
        // ECR's 403 on the token is unauthorized, not access_denied.
        #expect(classify(#"Failed to pull image "1234.dkr.ecr.eu-west-1.amazonaws.com/a:1": "#
                         + #"failed to resolve reference "1234.dkr.ecr.eu-west-1.amazonaws.com/a:1": "#
                         + #"pulling from host 1234.dkr.ecr.eu-west-1.amazonaws.com failed with status code "#
                         + #"[manifests 1]: 403 Forbidden"#)?.cause == .unauthorized)
        // A back-off record with no cause is backoff…
        #expect(classify(#"  Normal   BackOff    2m (x44 over 12m)    kubelet   Back-off pulling image "nginx:1.99""#)?.cause == .backoff)
        // …and with a failure text no rule explains, unknown.
        #expect(classify(#"Error syncing pod, skipping: failed to "StartContainer" for "web" with ErrImagePull: "#
                         + #""image pull failed for unknown error""#)?.cause == .unknown)
        // A proxy refusing the connection is a proxy problem, not the registry's.
        #expect(classify(#"Failed to pull image "nginx:1.27": failed to do request: "#
                         + #"Head "https://registry-1.docker.io/v2/library/nginx/manifests/1.27": "#
                         + #"proxyconnect tcp: dial tcp 10.10.0.1:3128: connect: connection refused"#)?.cause == .proxyError)
        // The runtime's own socket refusing is a runtime problem.
        #expect(classify(#"Failed to pull image "nginx:1.27": rpc error: code = Unavailable desc = connection error: "#
                         + #"desc = "transport: Error while dialing: "#
                         + #"dial unix /run/containerd/containerd.sock: connect: connection refused""#)?.cause == .runtimeError)
    }

    /// Step 1: every producer's pull context makes a failure; an unheard-of cause inside it is
    /// `unknown`, never null.
    @Test(arguments: [
        #"  Warning  Failed  1m  kubelet  Failed to pull image "acme/x:1": rpc error: code = Unknown desc = flux capacitor melted"#,
        #"E1122 10:00:00.000000    2345 remote_image.go:180] "PullImage from image service failed" "#
            + #"err="rpc error: code = Unknown desc = flux capacitor melted" image="acme/x:1""#,
        #"time="2025-11-22T10:00:00Z" level=error msg="PullImage \"acme/x:1\" failed" error="flux capacitor melted""#,
        #"time="2025-11-22T10:00:00Z" level=info msg="trying next host" "#
            + #"error="failed to do request: Head \"https://registry-1.docker.io/v2/acme/x/manifests/1\": flux capacitor melted" "#
            + #"host=registry-1.docker.io"#,
        "FATA[0000] pulling image: rpc error: code = Unknown desc = flux capacitor melted",
        "Error: initializing source docker://quay.io/acme/x:1: flux capacitor melted",
        "Error response from daemon: Get \"https://registry.example/v2/\": flux capacitor melted",
        "\t[ERROR ImagePull]: failed to pull image registry.k8s.io/pause:3.9: output: flux capacitor melted, error: exit status 1",
        "ERROR: failed to solve: acme/base:1: flux capacitor melted",
        "ctr: failed to resolve reference \"docker.io/acme/x:1\": flux capacitor melted",
        "CannotPullContainerError: flux capacitor melted",
        "Jan 10 12:06:42 h dockerd[1]: time=\"2022-01-10T12:06:42Z\" level=error "
            + "msg=\"Not continuing with pull after error: flux capacitor melted\"",
        "Error: 3 errors occurred while pulling:",
    ])
    func everyProducersPullContextMakesAFailure(_ line: String) {
        #expect(classify(line)?.cause == .unknown, "\(line)")
    }

    /// Step 1: texts that prove a failed pull by themselves, and the status forms.
    @Test(arguments: [
        ("Error response from daemon: manifest for acme/x:9 not found: manifest unknown: manifest unknown", Cause.tagNotFound),
        (#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#, .repositoryNotFound),
        ("denied: requested access to the resource is denied", .accessDenied),
        ("toomanyrequests: You have reached your pull rate limit.", .rateLimited),
        ("no matching manifest for linux/arm64/v8 in the manifest list entries", .platformMismatch),
        ("web-6f9c7d-x2x9p   0/1     ImagePullBackOff   0          5m", .backoff),
        ("coredns-5d78c9869d-8x2kq   0/1     Init:ErrImagePull   0          2m", .backoff),
        ("api-0   0/1     ErrImageNeverPull   0          5m", .neverPull),
        ("error: docker.io/library/php:1.8.4-apache-nope: not found", .tagNotFound),
        ("failed to register layer: Error processing tar file(exit status 1): write /usr/lib/x.so: no space left on device", .diskPressure),
    ] as [(String, Cause)])
    func standAloneSignaturesNeedNoContext(_ line: String, _ cause: Cause) {
        #expect(classify(line)?.cause == cause, "\(line)")
    }

    /// Step 1: the same answers refuse pushes; a push is not a pull failure.
    @Test(arguments: [
        "denied: requested access to the resource is denied (while pushing docker.io/acme/app:1)",
        "unauthorized: authentication required (docker push acme/app:1)",
        "/moby.buildkit.v1.Control/Solve returned error: failed to push registry.example/a:1: "
            + "failed commit on ref \"layer-sha256:5f\": unexpected status: 400 Bad Request",
        #"time="2025-11-22T10:00:00Z" level=info msg="Pulling image: quay.io/acme/app:2.2" "#
            + #"id=4db74a9337f3 name=/runtime.v1.ImageService/PullImage"#,
        #"46.101.118.254 - - [25/May/2022:05:52:06 +0000]  "GET https://registry.example/v2/ HTTP/1.1" 401 172"#,
        // The vetoes (rules/01-not-a-pull.yaml): uploads, logins, ECS's secrets.
        #"time="2025-10-10T06:04:43Z" level=fatal msg="writing blob: uploading layer chunked: StatusCode: 502, \"Bad Gateway\"""#,
        "FATA[0000] Uploading manifest list failed, attempted the following formats: "
            + "(uploading manifest 1 to r.example/a: toomanyrequests)",
        "Error response from daemon: login attempt to https://registry.example/v2/ failed with status: 503 Service Unavailable",
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
            + "unable to retrieve secret from asm: service call has been retried 1 time(s): AccessDeniedException",
    ])
    func pushesAndAccessLogsAreNotPullFailures(_ line: String) {
        #expect(classify(line) == nil, "\(line)")
    }

    /// Step 2: the written precedence (docs/rules.md) where several causes match.
    @Test(arguments: [
        // A worded denial outranks the 401 / authentication-required beside it…
        ("Error reading manifest latest in docker.io/library/x: errors: denied: requested access to the resource is denied "
         + "unauthorized: authentication required", Cause.accessDenied),
        ("failed to fetch oauth token: unexpected status: 401 Unauthorized: access token has insufficient scopes", .accessDenied),
        // …a bare 401 or 403 is unauthorized.
        ("failed to resolve reference \"ghcr.io/a/b:1\": "
         + "unexpected status from HEAD request to https://ghcr.io/v2/a/b/manifests/1: 403 Forbidden", .unauthorized),
        ("Error: INSTALLATION FAILED: failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized",
         .unauthorized),
        // quay's wording is a denial, ECR's expired token a credential problem.
        ("Failed to pull image \"quay.io/a/b:1\": reading manifest 1 in quay.io/a/b: "
         + "unauthorized: access to the requested resource is not authorized", .accessDenied),
        ("ERROR: denied: Your Authorization Token has expired. Please run 'aws ecr get-login' to fetch a new one.", .unauthorized),
        // A missing credential helper is the node's configuration.
        (#"ERROR: failed to solve: python:3.10: failed to resolve source metadata for docker.io/library/python:3.10: "#
         + #"error getting credentials - err: exec: "docker-credential-desktop": executable file not found in $PATH"#, .runtimeError),
        // The disk, not the layer extraction that hit it.
        ("failed to extract layer sha256:4f: write /var/lib/containerd/x: no space left on device: unknown", .diskPressure),
        // A proxy's DNS failure is the proxy's.
        ("Error: initializing source docker://quay.io/a:1: pinging container registry quay.io: "
         + "Get \"https://quay.io/v2/\": proxyconnect tcp: dial tcp: lookup proxy.corp: no such host", .proxyError),
        // Schema 1 content containerd cannot fetch is the runtime's limit, not the registry's fault.
        ("FATA[0000] pulling image failed: failed to copy: httpReaderSeeker: failed open: could not fetch content descriptor sha256:13 "
         + "(application/vnd.docker.distribution.manifest.v1+prettyjws) from remote: not found", .runtimeError),
        // A blob missing on a mirror is the registry's.
        ("PullImage \"a/b:1\" failed: failed to copy: httpReadSeeker: failed open: could not fetch content descriptor sha256:fe "
         + "(application/vnd.docker.image.rootfs.diff.tar.gzip) from remote: not found", .registryError),
        // A bare runtime deadline is a stalled pull; a deadline on a named request a timeout.
        ("Failed to pull image \"a:1\": rpc error: code = DeadlineExceeded desc = context deadline exceeded", .pullStalled),
        ("failed to do request: Head \"https://mcr.microsoft.com/v2/x/manifests/1\": context deadline exceeded", .networkTimeout),
    ] as [(String, Cause)])
    func precedenceAsDocumented(_ line: String, _ cause: Cause) {
        #expect(classify(line)?.cause == cause, "\(line)")
    }

    /// Wordings read from the producers' sources (containerd core/remotes/docker, containers/image
    /// docker/ and copy/), wrapped as the kubelet or podman print them.
    @Test(arguments: [
        ("Failed to pull image \"a:1\": failed to copy: FetcherByDigest: content mismatch: sha256:aa != sha256:bb", Cause.digestMismatch),
        ("Failed to pull image \"a:1\": failed to authorize: failed to handle basic auth because missing username or secret",
         .unauthorized),
        (#"PullImage "a:1" failed error="failed to pull and unpack image: "#
         + #"media type "application/vnd.oci.x" is no longer supported since containerd v2.0""#, .runtimeError),
        ("Error: copying layer: happened during read: Digest did not match, expected sha256:11, got sha256:22", .digestMismatch),
        ("Error: initializing image from source docker://quay.io/a/b:1: can't talk to a V1 container registry", .unknown),
        ("Error: copying system image from manifest list: choosing an image from manifest list docker://quay.io/a/b:1: "
         + "no image found in image index for architecture arm64", .platformMismatch),
    ] as [(String, Cause)])
    func upstreamWordings(_ line: String, _ cause: Cause) {
        #expect(classify(line)?.cause == cause, "\(line)")
    }

    @Test func imageAsWrittenAndRegistryFromTheNormalizedReference() throws {
        let c = try #require(classify(#"E1122 10:00:00.000000    2345 kuberuntime_image.go:55] "Failed to pull image" "#
            + #"err="rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/library/redis:7.2\": "#
            + #"failed to copy: httpReadSeeker: failed open: unexpected status code "#
            + #"https://registry-1.docker.io/v2/library/redis/manifests/sha256:0f: 429 Too Many Requests - "#
            + #"Server message: toomanyrequests: You have reached your pull rate limit" image="redis:7.2" pod="data/cache-0""#))
        #expect(c.cause == .rateLimited && c.image == "redis:7.2" && c.registry == "docker.io" && c.repository == "library/redis")
    }

    @Test func invalidUTF8InASubjectNeverFails() {
        let bytes: [UInt8] = Array(#"Failed to pull image "x:1": "#.utf8) + [0xff, 0xfe, 0xc3] + Array(": no such host".utf8)
        let record = Record(message: String(decoding: bytes, as: UTF8.self))
        #expect(builtIn.classify(record, scratch: MatchScratch())?.cause == .dnsFailure)
    }

    @Test func classesMatchMultiByteCharacters() throws {
        // PCRE2 10.42's JIT with MATCH_INVALID_UTF never matched \S on `…`: rules stopped there.
        let regex = try Regex(#"x\S: end \S+ \w"#)
        if case .match = regex.match("zzqa x…: end héllo w", scratch: MatchScratch()) {} else {
            Issue.record("\\S does not match a multi-byte character")
        }
    }
}

@Suite struct RuleFileTests {
    func tempDir(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "pullwatch-rules-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    func loadErrors(_ yaml: String) throws -> [String] {
        let dir = try tempDir(["foo.yaml": yaml])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try RuleSet.load(directories: [dir])
            return []
        } catch let e as RuleLoadError {
            return e.errors.map { $0.description.replacingOccurrences(of: dir + "/", with: "rules/") }
        }
    }

    static let header = "rules:\n"

    @Test func aUserVetoKeepsItsLinesFromBeingFailures() throws {
        let yaml = Self.header + """
          - id: acme.mirror-sync
            cause: none
            title: our mirror's sync job, not a pull
            pattern: 'mirror-sync\\['
            samples:
              - 'mirror-sync[42]: Failed to pull image "acme/x:1": manifest unknown'
            non_samples:
              - 'Failed to pull image "acme/x:1": manifest unknown'
        """
        let dir = try tempDir(["veto.yaml": yaml])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let set = try RuleSet.load(directories: [dir])
        let scratch = MatchScratch()
        let summary = RuleTester(ruleSet: set).run()
        #expect(summary.failures.isEmpty, "\(summary.failures)")
        let vetoed = RuleTester(ruleSet: set).record(for: #"mirror-sync[42]: Failed to pull image "acme/x:1": manifest unknown"#)
        #expect(set.classify(vetoed, scratch: scratch) == nil)
        #expect(set.veto(for: vetoed, scratch: scratch)?.id == "acme.mirror-sync")
        let kept = RuleTester(ruleSet: set).record(for: #"Failed to pull image "acme/x:1": manifest unknown"#)
        #expect(set.classify(kept, scratch: scratch)?.cause == .tagNotFound)
        // A veto whose sample it does not veto fails `rules test`.
        let broken = yaml.replacingOccurrences(of: "mirror-sync\\[", with: "nothing-like-this")
        let dir2 = try tempDir(["veto.yaml": broken])
        defer { try? FileManager.default.removeItem(atPath: dir2) }
        #expect(!RuleTester(ruleSet: try RuleSet.load(directories: [dir2])).run().failures.isEmpty)
    }

    @Test func compileErrorNamesFileLineRuleAndOffset() throws {
        let yaml = Self.header + """
          - id: registry.401
            cause: unauthorized
            pattern: 'status (401 Unauthorized'
            samples: ['status 401 Unauthorized']
        """
        #expect(try loadErrors(yaml) == [#"rules/foo.yaml:4: rule "registry.401": missing closing parenthesis at offset 24"#])
    }

    @Test(arguments: [
        ("a\\", "\\ at end of pattern at offset 2"),
        ("(?<image>x", "missing closing parenthesis at offset 10"),
        ("*x", "quantifier does not follow a repeatable item at offset 0"),
        ("[z-a]", "range out of order in character class at offset 3"),
        ("(?<n>a)(?<n>b)", "two named subpatterns have the same name (PCRE2_DUPNAMES not set) at offset 12"),
        ("\\k<nope>", "reference to non-existent subpattern at offset 3"),
    ])
    func everyCompileErrorIsAUserError(_ pattern: String, _ message: String) throws {
        let yaml = Self.header + "  - id: r\n    cause: unknown\n    literals: [x]\n    pattern: '\(pattern)'\n    samples: ['x']\n"
        #expect(try loadErrors(yaml) == ["rules/foo.yaml:5: rule \"r\": \(message)"])
    }

    @Test func structuralErrorsNameFileAndLine() throws {
        let yaml = Self.header + """
          - id: a
            cause: nope
            pattern: 'x'
            samples: ['x']
          - id: b
            cause: unknown
            literals: [b]
            pattern: 'b'
            colour: red
            samples: ['b']
          - id: c
            cause: tag_not_found
            pattern: 'c'
          - id: b
            cause: tag_not_found
            pattern: 'b'
            samples: ['b']
          - id: d
            cause: backoff
            pattern: 'd'
            samples: ['d']
          - cause: unknown
            pattern: 'e'
        extra: 1
        """
        let errors = try loadErrors(yaml)
        #expect(errors.contains(#"rules/foo.yaml:3: rule "a": unknown cause id `nope` "#
                                + #"(known: \#(Cause.allCases.map(\.rawValue).joined(separator: ", ")), or none for a veto)"#))
        #expect(errors.contains(#"rules/foo.yaml:10: rule "b": unknown key `colour` "#
                                + #"(expected one of cause, gate_needs, id, literals, non_samples, pattern, "#
                                + #"priority, requires_failure, samples, severity, title, unless)"#))
        #expect(errors.contains(#"rules/foo.yaml:12: rule "c": rule has no `samples` (every rule proves itself)"#))
        #expect(errors.contains(#"rules/foo.yaml:15: rule "b": duplicate id (first defined at rules/foo.yaml:6)"#))
        #expect(errors.contains(#"rules/foo.yaml:19: rule "d": a rule that marks a pull failure on its own needs `literals` "#
                                + #"(the gate: text every matching line contains)"#))
        #expect(errors.contains("rules/foo.yaml:23: rule without `id`"))
        #expect(errors.contains("rules/foo.yaml:25: unknown key `extra` (expected `rules` or `causes`)"))
        #expect(errors.count == 7)
    }

    @Test func invalidYAMLIsReportedWithItsLine() throws {
        let errors = try loadErrors("rules:\n  - id: a\n    pattern: [unclosed\n")
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("rules/foo.yaml:4: invalid YAML:") == true)
    }

    @Test func userRuleWithTheSameIdReplacesTheBuiltIn() throws {
        let dir = try tempDir(["mine.yaml": Self.header + """
          - id: registry.rate-limited
            cause: rate_limited
            pattern: 'slow down, pal'
            samples: ['Failed to pull image "acme/x:1": slow down, pal']
          - id: corp.mirror-quota
            cause: rate_limited
            pattern: 'mirror quota exhausted'
            samples: ['Failed to pull image "acme/x:1": mirror quota exhausted']
        """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rules = try RuleSet.load(directories: [dir])
        #expect(rules.rules.count == builtIn.rules.count + 1)
        #expect(rules.replaced["registry.rate-limited"]?.file == "rules/10-registry.yaml")
        #expect(classify(#"Failed to pull image "acme/x:1": slow down, pal"#, rules: rules)?.cause == .rateLimited)
        // Only the replaced rule knew "toomanyrequests"; its replacement does not.
        #expect(classify(#"Failed to pull image "redis:7": toomanyrequests: slow"#, rules: rules)?.cause == .unknown)
        #expect(RuleTester(ruleSet: rules).run().failures.isEmpty)
    }

    @Test func aCatastrophicPatternCannotHangAScan() throws {
        let dir = try tempDir(["redos.yaml": Self.header + """
          - id: evil
            cause: registry_error
            pattern: '(a+)+$'
            samples: ['Failed to pull image "x:1": aaaa']
        """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rules = try RuleSet.load(directories: [dir])
        let scratch = MatchScratch()
        let line = "Failed to pull image \"x:1\": " + String(repeating: "a", count: 100_000) + "!"
        let start = Date()
        let c = rules.classify(Record(message: line), scratch: scratch)
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(scratch.limitHits == 1)
        #expect(c?.cause == .unknown)
    }
}

/// The accuracy corpus of benchmarks/accuracy (real lines from public sources, labelled by
/// hand; benchmarks/accuracy/README.md). The dev split is what the rules are tuned on: its bar
/// holds. The test split is measured by `make accuracy`, not here; only properties that do
/// not read its labels (the gate) are checked on it.
@Suite struct AccuracyTests {
    struct Case: Decodable { var cause: String?; var registry: String?; var registry_via: String?; var line: String }

    static func load(_ name: String) throws -> [Case] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("benchmarks/accuracy/\(name)"), encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Case.self, from: Data($0.utf8)) }
    }

    @Test func devSplitMeetsItsBar() throws {
        let cases = try Self.load("dev.jsonl")
        var causeOK = 0, failures = 0, byImage = (ok: 0, n: 0), byURL = (ok: 0, n: 0), falseAlarms = 0
        for c in cases {
            let got = classify(c.line)
            guard let expected = c.cause else {
                if got != nil { falseAlarms += 1 }
                continue
            }
            failures += 1
            if got?.cause.rawValue == expected { causeOK += 1 }
            guard let registry = c.registry else { continue }
            let ok = got?.registry == registry ? 1 : 0
            if c.registry_via == "url" { byURL.ok += ok; byURL.n += 1 } else { byImage.ok += ok; byImage.n += 1 }
        }
        // Floors that hold today, so a rule change cannot lose ground unnoticed (the issue's
        // targets, cause >= 98 % and registry >= 97 %, are measured and reported by
        // `make accuracy`; benchmarks/accuracy/README.md has the figures). Each held-out round
        // folded in after its run brings lines the rules still miss (rounds 21-23: 89-92 %
        // after their tuning), so the floors moved with them (cause 96.5 → 95.5 %, registry by
        // image 97 → 96 %); after rounds 25-27 and one ruling for Docker's `No such image` dev
        // reads 95.9 % / 96.7 %, and the floors follow (95.7 %, 96.5 %); after rounds 28-29, 96.1 % / 96.8 %
        // (floors 95.9 %, 96.6 %); after round 30, 95.9 % / 96.7 %.
        #expect(Double(causeOK) >= 0.959 * Double(failures), "cause \(causeOK)/\(failures)")
        #expect(Double(byImage.ok) >= 0.966 * Double(byImage.n), "registry by image \(byImage.ok)/\(byImage.n)")
        #expect(Double(byURL.ok) >= 0.90 * Double(byURL.n), "registry by URL \(byURL.ok)/\(byURL.n)")
        // Ten known of 1 374 (benchmarks/accuracy/README.md), whose lines alone read like pull
        // failures and that their collectors judged from the thread: a push's `failed commit on
        // ref`, bare x509 lines, ECR credential fetches, a proxy's log, a signature check of a
        // stored image, `az acr`'s denial.
        #expect(Double(falseAlarms) <= 0.008 * Double(cases.count - failures), "\(falseAlarms) ordinary lines called failures")
    }

    /// Every corpus line the classifier calls a failure contains a gate literal, raw and
    /// wrapped as a shipper's JSON: a scan never skips a line `explain` would classify.
    @Test(arguments: ["dev.jsonl", "test.jsonl"])
    func theGateNeverDropsAFailure(_ split: String) throws {
        let rules = try RuleSet.load()
        for c in try Self.load(split) where classify(c.line) != nil {
            #expect(rules.gate.passes(c.line), "gate drops: \(c.line)")
            let json = "{\"message\":" + RecordRendering.jsonString(c.line) + "}"
            #expect(rules.gate.passes(json), "gate drops as JSON: \(c.line)")
        }
    }
}
