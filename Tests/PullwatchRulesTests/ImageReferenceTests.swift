import Testing
import PullwatchRules

@Suite struct ImageReferenceTests {
    struct Case: Sendable, CustomStringConvertible {
        var input: String
        var registry: String, repository: String, tag: String?, digest: String?
        var description: String { input }
    }

    static let valid: [Case] = [
        Case(input: "nginx", registry: "docker.io", repository: "library/nginx", tag: nil, digest: nil),
        Case(input: "nginx:1.99", registry: "docker.io", repository: "library/nginx", tag: "1.99", digest: nil),
        Case(input: "docker.io/library/nginx:1.25", registry: "docker.io", repository: "library/nginx", tag: "1.25", digest: nil),
        Case(input: "index.docker.io/bitnami/redis:7", registry: "docker.io", repository: "bitnami/redis", tag: "7", digest: nil),
        Case(input: "bitnami/postgresql:16.1.0", registry: "docker.io", repository: "bitnami/postgresql", tag: "16.1.0", digest: nil),
        Case(input: "localhost/app", registry: "localhost", repository: "app", tag: nil, digest: nil),
        Case(input: "localhost:5000/team/app:dev", registry: "localhost:5000", repository: "team/app", tag: "dev", digest: nil),
        Case(input: "harbor.corp.example:8443/team/billing:2.4.1", registry: "harbor.corp.example:8443", repository: "team/billing",
             tag: "2.4.1", digest: nil),
        Case(input: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/worker:1.8.0",
             registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", repository: "payments/worker", tag: "1.8.0", digest: nil),
        Case(input: "europe-docker.pkg.dev/acme-prod/images/frontend:2026.11.1", registry: "europe-docker.pkg.dev",
             repository: "acme-prod/images/frontend", tag: "2026.11.1", digest: nil),
        Case(input: "ghcr.io/acme/api@sha256:" + String(repeating: "ab", count: 32), registry: "ghcr.io",
             repository: "acme/api", tag: nil, digest: "sha256:" + String(repeating: "ab", count: 32)),
        Case(input: "quay.io/org/app:v1@sha256:" + String(repeating: "0", count: 64), registry: "quay.io",
             repository: "org/app", tag: "v1", digest: "sha256:" + String(repeating: "0", count: 64)),
        Case(input: "[::1]:5000/x:1", registry: "[::1]:5000", repository: "x", tag: "1", digest: nil),
        Case(input: "10.0.0.5:5000/library/busybox", registry: "10.0.0.5:5000", repository: "library/busybox", tag: nil, digest: nil),
        Case(input: "Docker.IO/x", registry: "Docker.IO", repository: "x", tag: nil, digest: nil),
        Case(input: "foo/b__ar.x-y--z:tag_1.2-3", registry: "docker.io", repository: "foo/b__ar.x-y--z", tag: "tag_1.2-3", digest: nil),
        Case(input: "registry.k8s.io/pause:3.9", registry: "registry.k8s.io", repository: "pause", tag: "3.9", digest: nil),
    ]

    @Test(arguments: valid)
    func parsesAndNormalizes(_ c: Case) throws {
        let ref = try ImageReference.parse(c.input).get()
        #expect(ref.registry == c.registry)
        #expect(ref.repository == c.repository)
        #expect(ref.tag == c.tag)
        #expect(ref.digest == c.digest)
        #expect(ref.original == c.input)
    }

    static let invalid: [(String, ImageReferenceError)] = [
        ("", .empty),
        ("Nginx:latest", .uppercaseRepository),
        ("acme/Agent:2", .uppercaseRepository),
        ("nginx:", .invalidTag),
        ("nginx:-bad", .invalidTag),
        ("nginx:" + String(repeating: "a", count: 129), .invalidTag),
        ("nginx@sha256:abc", .invalidDigest),
        ("nginx@md5", .invalidDigest),
        ("-nginx", .invalidFormat),
        ("nginx-", .invalidFormat),
        ("a//b", .invalidFormat),
        ("foo/bar_-baz", .invalidFormat),
        ("bad_host.example:port/x", .invalidDomain),
        ("exa_mple.com/x", .invalidDomain),
        ("my image", .invalidFormat),
        (String(repeating: "f", count: 64), .ambiguousIdentifier),
        (String(repeating: "a/", count: 128) + "a", .nameTooLong),
    ]

    @Test(arguments: invalid)
    func rejects(_ input: String, _ expected: ImageReferenceError) {
        switch ImageReference.parse(input) {
        case .success(let r): Issue.record("\(input) parsed as \(r)")
        case .failure(let e): #expect(e == expected, "\(input)")
        }
    }

    @Test func familiarAndNormalizedForms() throws {
        let r = try ImageReference.parse("nginx:1.99").get()
        #expect(r.normalized == "docker.io/library/nginx:1.99")
        #expect(r.familiar == "nginx:1.99")
        #expect(try ImageReference.parse("ghcr.io/a/b").get().normalizedWithDefaultTag == "ghcr.io/a/b:latest")
        #expect(try ImageReference.parse("docker.io/bitnami/redis:7").get().familiar == "bitnami/redis:7")
    }
}
