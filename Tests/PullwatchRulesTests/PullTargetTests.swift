import Testing
import PullwatchRecords
@testable import PullwatchRules

/// Step 3 of classification: which image and registry a failure is about.
@Suite struct PullTargetTests {
    static func target(_ message: String) -> PullTarget {
        PullTargetExtraction.target(in: Record(message: message))
    }

    @Test(arguments: [
        // Every wrapper the producers put around the reference.
        ("Error response from daemon: manifest for acme/tool:9 not found: manifest unknown", "acme/tool:9", "docker.io"),
        ("Error response from daemon: pull access denied for minio, repository does not exist", "minio", "docker.io"),
        ("Error: image library/nosuchthing not found", "library/nosuchthing", "docker.io"),
        ("Error: initializing source docker://kind-registry:5000/team/catalog:v4: manifest unknown",
         "kind-registry:5000/team/catalog:v4", "kind-registry:5000"),
        ("Error: reading manifest v9 in quay.io/acme/x: manifest unknown", "quay.io/acme/x:v9", "quay.io"),
        ("Error: reading manifest sha256:0123456789abcdef0123456789abcdef in quay.io/acme/x: manifest unknown",
         "quay.io/acme/x@sha256:0123456789abcdef0123456789abcdef", "quay.io"),
        ("Tag 9.9 not found in repository docker.io/library/redis", "docker.io/library/redis:9.9", "docker.io"),
        ("ctr: failed to resolve reference \"ghcr.io/acme/x:1\": not found", "ghcr.io/acme/x:1", "ghcr.io"),
        ("ERROR: failed to solve: acme/base:9: failed to resolve source metadata for docker.io/acme/base:9: not found",
         "acme/base:9", "docker.io"),
        ("[ERROR ImagePull]: failed to pull image registry.k8s.io/kube-proxy:v1.30.2: output: x",
         "registry.k8s.io/kube-proxy:v1.30.2", "registry.k8s.io"),
        ("CannotPullContainerError: pull image manifest has been retried 5 time(s): "
         + "failed to resolve ref 1234.dkr.ecr.us-west-2.amazonaws.com/app:latest: not found",
         "1234.dkr.ecr.us-west-2.amazonaws.com/app:latest", "1234.dkr.ecr.us-west-2.amazonaws.com"),
        ("Error pulling image (latest) from acme/x, Error downloading dependent layers", "acme/x:latest", "docker.io"),
        // The outermost reference is the one the pod asked for.
        ("Failed to pull image \"nginx:1.99\": failed to pull and unpack image \"docker.io/library/nginx:1.99\": not found",
         "nginx:1.99", "docker.io"),
        // Single quotes, `pull failed for`, a quoted pull command, typographic and CSV quotes.
        ("Error pulling image 'registry.example:7002/team/sshd:2', due to reason: x",
         "registry.example:7002/team/sshd:2", "registry.example:7002"),
        ("level=error msg=\"doPull failed for \\\"ghcr.io/acme/op:1.2\\\": context canceled\"", "ghcr.io/acme/op:1.2", "ghcr.io"),
        ("Pull failed. Retrying quay.io/acme/okd@sha256:0123456789abcdef...", "quay.io/acme/okd@sha256:0123456789abcdef", "quay.io"),
        ("failed to run \"crictl pull acme/pause:3.9\": exit status 1", "acme/pause:3.9", "docker.io"),
        ("Failed to pull image “rancher/kubectl:1.5”: rpc error: code = NotFound", "rancher/kubectl:1.5", "docker.io"),
        ("Failed,\"Failed to pull image \"\"acr.example.io/mirror/proxy:1\"\": rpc error\"",
         "acr.example.io/mirror/proxy:1", "acr.example.io"),
        ("error: not in registry: docker.io:443/acme/tool:2", "docker.io:443/acme/tool:2", "docker.io"),
        // Invalid references still name their registry.
        ("Failed to apply default image tag \"Registry.Example/Team/App\": invalid reference format",
         "Registry.Example/Team/App", "Registry.Example"),
        // An uppercase first component is a host to the runtime (distribution's rule): the line shows it dialed.
        ("failed to resolve reference \"REGISTRY_HOST/team/node:13\": Head \"https://REGISTRY_HOST/v2/team/node/manifests/13\": EOF",
         "REGISTRY_HOST/team/node:13", "REGISTRY_HOST"),
        ("failed to resolve reference \"Acme/app:1\": dial tcp: lookup Acme: Temporary failure in name resolution",
         "Acme/app:1", "Acme"),
    ] as [(String, String, String)])
    func imageAsWrittenRegistryNormalized(_ message: String, _ image: String, _ registry: String) {
        let t = Self.target(message)
        #expect(t.image == image, "\(message)")
        #expect(t.registry == registry, "\(message)")
        #expect(t.evidence == .image)
    }

    @Test(arguments: [
        // Only a request URL names the registry.
        ("Error response from daemon: Get https://registry-1.docker.io/v2/: net/http: TLS handshake timeout", "docker.io", nil),
        ("Error response from daemon: Get \"https://index.docker.io/v1/repositories/acme/x/images\": EOF", "docker.io", nil),
        ("failed to do request: Head \"https://harbor.corp:8443/v2/team/app/manifests/1.0\": EOF", "harbor.corp:8443", "team/app"),
        ("failed to fetch anonymous token: unexpected status from GET request to "
         + "https://auth.docker.io/token?scope=repository%3Alibrary%2Fnginx%3Apull&service=registry.docker.io: 401 Unauthorized",
         "docker.io", "library/nginx"),
        ("unexpected status from GET request to "
         + "https://harbor.corp.example/service/token?scope=repository:team/billing:pull&service=harbor-registry: 401 Unauthorized",
         "harbor.corp.example", "team/billing"),
        ("pinging container registry registry.redhat.io: Get \"https://registry.redhat.io/v2/\": "
         + "x509: certificate signed by unknown authority", "registry.redhat.io", nil),
        ("time=\"2024-03-01T10:00:00Z\" level=info msg=\"trying next host\" error=\"EOF\" host=registry-1.docker.io", "docker.io", nil),
        ("dial tcp: lookup quay.io on 10.0.0.2:53: no such host", "quay.io", nil),
        ("Get https://production.cloudflare.docker.com/registry-v2/docker/registry/v2/blobs/sha256/aa/aa/data: "
         + "net/http: TLS handshake timeout", "docker.io", nil),
        ("error pulling image configuration: download failed after attempts=6: dialing blobs.example.net:443 container via "
         + "direct connection because  has no HTTPS proxy: connecting to 10.0.0.9:443: dial tcp: i/o timeout", "blobs.example.net", nil),
    ] as [(String, String, String?)])
    func registryFromTheRequestURL(_ message: String, _ registry: String, _ repository: String?) {
        let t = Self.target(message)
        #expect(t.image == nil, "\(message)")
        #expect(t.registry == registry, "\(message)")
        #expect(t.repository == repository, "\(message)")
        #expect(t.evidence == .url)
    }

    @Test func aProxysLookupIsNotTheRegistry() {
        let t = PullTargetExtraction.target(in: Record(message: "proxyconnect tcp: dial tcp: lookup proxy.corp: no such host"),
                                            dnsHostIsRegistry: false)
        #expect(t.registry == nil)
    }

    /// A reference pasted as a Markdown link is its link text.
    @Test func aMarkdownLinkIsItsText() {
        let t = PullTargetExtraction.target(in: Record(message: "x"),
                                            capturedImage: "[quay.io/cilium/operator:v1.11.3](http://quay.io/cilium/operator:v1.11.3)")
        #expect(t.image == "quay.io/cilium/operator:v1.11.3")
        #expect(t.registry == "quay.io")
    }

    @Test func nothingNamedNothingFound() {
        #expect(Self.target("Error: ErrImagePull") == PullTarget())
    }
}
