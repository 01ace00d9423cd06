import Testing
@testable import PullwatchRecords
import PullwatchTestSupport

@Suite struct RedactionTests {
    @Test(arguments: [
        ("Get https://user:s3cret@registry.example/v2/: 401", "Get https://REDACTED@registry.example/v2/: 401"),
        ("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig failed", "Authorization: Bearer REDACTED failed"),
        ("kubectl create secret docker-registry r --docker-password=hunter22 -n x",
         "kubectl create secret docker-registry r --docker-password=REDACTED -n x"),
        (#"{"auths":{"r.example":{"auth":"dXNlcjpwYXNz"}}}"#, #"{"auths":{"r.example":{"auth":"REDACTED"}}}"#),
        ("GET /token?scope=x&access_token=abc123&x=1", "GET /token?scope=x&access_token=REDACTED&x=1"),
        ("failed to fetch oauth token: unexpected status: 401 Unauthorized",
         "failed to fetch oauth token: unexpected status: 401 Unauthorized"),
        ("Your authorization token has expired. Reauthenticate and try again.",
         "Your authorization token has expired. Reauthenticate and try again."),
        // Regression: "basic auth" was taken for a Basic token and hid the cause of the failure.
        ("Get https://x.dkr.ecr.us-east-1.amazonaws.com/v2/a/manifests/1: no basic auth credentials",
         "Get https://x.dkr.ecr.us-east-1.amazonaws.com/v2/a/manifests/1: no basic auth credentials"),
        ("WWW-Authenticate: Bearer realm", "WWW-Authenticate: Bearer realm"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: Basic REDACTED"),
        ("https://harbor.corp.example:8443/service/token?scope=repository%3Ateam",
         "https://harbor.corp.example:8443/service/token?scope=repository%3Ateam"),
        (#"{"msg":"x","Token": "abc.def","API_KEY":'k1'}"#, #"{"msg":"x","Token": "REDACTED","API_KEY":'REDACTED'}"#),
        ("curl -H x-auth-token=t0k3n; SECRET = s3 and passwd=p,x",
         "curl -H x-auth-token=REDACTED; SECRET = REDACTED and passwd=REDACTED,x"),
        ("token= ; password=", "token= ; password="),
        // A URL ending in a key word before Go's `": ` is not a JSON key: the error stays.
        (#"failed to fetch oauth token: Post "https://auth.docker.io/token": EOF"#,
         #"failed to fetch oauth token: Post "https://auth.docker.io/token": EOF"#),
        (#"{"access_token": "abc", "x": 1}"#, #"{"access_token": "REDACTED", "x": 1}"#),
    ])
    func credentialsAreMaskedAndProseIsKept(_ input: String, _ expected: String) {
        #expect(Redaction.redact(input) == expected)
    }

    @Test func recordsLeaveTheDecoderRedacted() {
        let (records, _) = decode(
            #"time="2025-11-22T10:00:00Z" level=error msg="pull failed" url="https://bob:pa55@registry.example/v2/" password=topsecret"#)
        #expect(!records[0].message.contains("pa55") && !records[0].message.contains("topsecret"))
        #expect(records[0].field("url") == "https://REDACTED@registry.example/v2/")
    }

    /// The scan decides "a key with a value" at the separators; the rewrite looks at every
    /// byte. Over random texts made of the pieces that matter, both agree.
    @Test func theScanFindsExactlyTheKeysTheRewriteMasks() {
        let pieces = ["token", "Password", "passwd", "secret", "auth", "api_key", "=", ":", "\"", " ", "x", "-", "{", "'", ",", "é"]
        var rng = SplitMix(seed: 42)
        for _ in 0..<20_000 {
            let text = (0..<Int(rng.next() % 12)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            let bytes = Array(text.utf8)
            let planned = bytes.withUnsafeBufferPointer { Redaction.scan($0).key }
            let anywhere = bytes.withUnsafeBufferPointer { b in b.indices.contains { Redaction.keyValue(b, at: $0) != nil } }
            #expect(planned == anywhere, "\(text)")
        }
    }
}
