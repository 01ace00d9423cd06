import Foundation
import PullwatchRecords

/// What a pull failure is about: the image as written, and the registry (and repository)
/// from its normalized reference — or, when the record names no image, from the request
/// URL or host the failing request went to.
public struct PullTarget: Sendable, Equatable {
    /// Where the registry came from.
    public enum Evidence: String, Sendable, Equatable {
        /// The normalized image reference (`nginx` → `docker.io`).
        case image
        /// A registry request URL (`https://HOST/v2/…`, a token realm), `pinging container
        /// registry HOST`, containerd's `host=` field, or the host of a failed DNS lookup.
        case url
    }

    /// The image as written in the record (nil when only a URL names the registry).
    public var image: String?
    /// The registry host, canonical (`registry-1.docker.io` → `docker.io`).
    public var registry: String?
    /// The repository path (`library/nginx`).
    public var repository: String?
    /// How the registry was found; nil when it was not.
    public var evidence: Evidence?

    /// A target.
    public init(image: String? = nil, registry: String? = nil, repository: String? = nil, evidence: Evidence? = nil) {
        self.image = image; self.registry = registry; self.repository = repository; self.evidence = evidence
    }
}

/// The one extractor for the image and registry of a failure: every wrapper the producers
/// use (kubelet, containerd, CRI-O/podman, Docker, crictl, kubeadm, BuildKit, ctr, ECS) and
/// the registry request URLs they print. Table-driven: for the image, the earliest reference
/// a pattern vouches for; for the registry, the patterns in the order of trust.
public enum PullTargetExtraction {
    /// An image reference as producers print it, unquoted: host[:port]/path[:tag][@digest].
    /// Uppercase and `<redacted>` pieces are allowed here; the reference parser judges them.
    static let ref = #"[A-Za-z0-9<#*][A-Za-z0-9<>#*_.-]*(?::[0-9]+)?(?:/[A-Za-z0-9<>#*_.$-]+)*"#
        + #"(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*:[A-Za-z0-9]{8,})?"#

    /// Patterns naming the image; the earliest match in the message wins (ties: table order).
    /// Groups: `image`, optional `tag` (a tag or digest printed apart from the name:
    /// `reading manifest T in X`). How far each pattern's words vouch for what follows
    /// them is its `Looseness`, so `pulling image: rpc error` does not name the image `rpc`.
    static let imagePatterns: [(regex: Regex, looseness: Looseness)] = ([
        // kubelet, crictl, events, containerd: the reference the user asked for, quoted.
        (#"(?i)(?:pull(?:ing)?|pulled|pull and unpack|PullImage|inspect(?:ing)?)\s+image\s+\\*"(?<image>[^"\\\s]+)"#, .strict),
        // The same with typographic quotes (pasted through a word processor) or CSV's doubled ones.
        (#"(?i)(?:pull(?:ing)?|pulled|pull and unpack|PullImage)\s+image\s+(?:[“”]|"")(?<image>[^"“”\\\s]+)"#, .strict),
        (#"(?i)failed to pull (?:(?:base )?image )?\s*[`\['"]?(?<image>\#(ref))"#, .shaped),
        (#"(?i)failed pulling (?:container|image) (?<image>\#(ref))"#, .shaped),
        // Unquoted and without a registry or tag (`failed to pull image adminer: …`): the colon
        // and space after it end the reference.
        (#"(?i)failed to pull image (?<image>\#(ref)):\s"#, .parses),
        (#"image with reference (?<image>\#(ref)) was found"#, .strict),
        (#"Suggest the author of (?<image>\#(ref)) to upgrade"#, .strict),
        // Azure App Service's container log
        (#"\bImage pull for (?<image>\#(ref)) failed\b"#, .strict),
        (#"[Pp]ulling (?:docker|container) image (?<image>\#(ref))(?: over \S+)? failed\b"#, .strict),
        (#"fromImage=(?<image>[^&\s"]+)"#, .strict),
        (#"PullImage \\*"(?<image>[^"\\\s]+)"#, .strict),
        (#"[Pp]ull access denied for (?<image>\#(ref))"#, .strict),
        // A digest cut short by the reporter (`@sha256:a8f2b...`) leaves the name.
        (#"manifest for\s+(?<image>\#(ref))(?:@\S*)? not found"#, .strict),
        (#"Tag (?<tag>\S+) not found in repository (?<image>\#(ref))"#, .strict),
        (#"[Rr]eading manifest (?<tag>[^\s:]+(?::[A-Fa-f0-9]+)?) in (?<image>\#(ref))"#, .strict),
        // Not docker-py's `http+docker://localhost/…` (the Engine API socket).
        (#"(?<!\+)docker://(?<image>\#(ref))"#, .strict),
        // Apptainer's ORAS pulls: `failed to get checksum for oras://REF: …`.
        (#"\boras://(?<image>\#(ref))"#, .strict),
        (#"\bCan't install (?<image>\#(ref)):\s"#, .shaped),
        // Rancher's `Image [REF] failed to pull`; Azure Container Instances' `The image 'REF' in container group`
        (#"\b[Ii]mage \[(?<image>\#(ref))\]"#, .strict),
        (#"\b[Tt]he image '(?<image>[^'\s]+)'"#, .strict),
        // Jib: `make sure your credentials for 'REF' are set up`, `Unauthorized for REF`;
        // AWS SAM: `Could not find REF image locally`.
        (#"credentials for '(?<image>[^'\s]+)' are set up"#, .strict),
        (#"RegistryUnauthorizedException: Unauthorized for (?<image>\#(ref))"#, .strict),
        (#"Could not find (?<image>\#(ref)) image locally"#, .strict),
        // Ratify behind Gatekeeper: `Error validating one or more images: ["REF", …]`
        (#"one or more images: \[\\*"(?<image>[^"\\\s]+)"#, .strict),
        // balena's supervisor: `Failed to download image 'REF' due to '…'`
        (#"Failed to download image '(?<image>[^'\s]+)'"#, .strict),
        (#"\b[Ii]mage '(?<image>[^'\s]+)' not found"#, .strict),
        // Google Cloud Build: `error pulling build step N "IMAGE": …`
        (#"error pulling build step \d+ \\*"(?<image>[^"\\\s]+)"#, .strict),
        (#"(?i)failed to resolve (?:reference|ref|source metadata for|image(?! to digest\b)) \\*"?(?<image>\#(ref))"#, .strict),
        (#"failed to solve: (?!process )(?:failed to \w+ \w+ for )?(?<image>\#(ref)):\s"#, .parses),
        (#"^(?<image>\#(ref)): failed to (?:authorize|resolve|do request|copy|fetch)"#, .shaped),
        (#"(?i)(?:load metadata for|resolve image config for|fetching image) \\*"?(?<image>\#(ref))"#, .shaped),
        (#"image pull failed for (?<image>\#(ref))"#, .strict),
        (#"(?i)pulling image \((?<tag>[^)\s]*)\) from (?<image>\#(ref))"#, .strict),
        // Not Harbor's `artifact PROJECT/REPO:TAG not found`: a project path, not the reference pulled.
        (#"(?:^|\s)[Ii]mage (?<image>\#(ref)) not found"#, .shaped),
        (#"(?:Error: image|\brepository)\s+(?<image>\#(ref)) not found"#, .strict),
        // Wrappers that quote the reference in single quotes, or name it after `pull failed for`.
        (#"(?i)(?:error pulling image|unable to get image|can'?t pull image|cannot pull image|unable to pull image) "#
            + #"'(?<image>[^'\s]+)'"#, .strict),
        (#"\b(?:do)?[Pp]ull failed for \\*"?(?<image>\#(ref))"#, .strict),
        (#"\b[Pp]ull failed\. Retrying (?<image>\#(ref))"#, .strict),
        (#"not in registry: (?<image>\#(ref))"#, .strict),
        // A pull command quoted in the message: `crictl pull X`, ["docker" "pull" "X"].
        (#"\b(?:crictl|docker(?: -H \S+)?|podman|nerdctl|ctr(?: -n \S+)?(?: images?)?) pull (?:--?[\w-]+(?:[ =]\S+)? )*(?<image>\#(ref))"#, .shaped),
        (#"\["(?:[^"\s]*/)?(?:docker|podman|crictl|nerdctl)",? "pull",? (?:"-[^"]*",? )*"(?<image>[^"\s]+)""#, .strict),
        (#"(?i)(?:cannot|can't|unable to|failed to) pull the latest version of image (?<image>\#(ref))"#, .strict),
        // Wrappers naming the reference unquoted: Azure IoT Edge's `Could not pull image REF`,
        // LocalStack's `Cannot pull image REF. Maybe only available locally?`.
        (#"(?i)(?:could(?: not|n't)|cannot|can't) pull (?:docker |container )?image (?<image>\#(ref))"#, .shaped),
        // oc's mirror: `unable to retrieve source image REF manifest sha256:…`; minikube's cache.
        (#"\bsource image (?<image>\#(ref)) manifest\b"#, .strict),
        (#"\bCacheImage (?<image>\#(ref)) -> "#, .strict),
        // Cloud Foundry's docker builder: `failed to fetch metadata from [REPO] with tag [T]`.
        (#"failed to fetch metadata from \[(?<image>\#(ref))\] with tag \[(?<tag>[^\]\s]+)\]"#, .strict),
        // Azure IoT Edge's deployment check: `REF does not exist or the credential is not set correctly`.
        (#"(?:^|\s)(?<image>\#(ref)) does not exist or the credential is not set\b"#, .shaped),
        (#"[Ii]nvalid image name \\*"(?<image>[^"\\\s]+)"#, .strict),
        (#"\\*"(?<image>[^"\\\s]+)\\*" is not a valid image"#, .strict),
        (#"trust data (?:does not exist )?for (?<image>\#(ref))"#, .shaped),
        (#"containers\[\d+\]\.image (?<image>\#(ref))"#, .shaped),
        (#"(?i)tried to pull (?:BLOB|manifest|image) for (?<image>\#(ref))"#, .shaped),
        (#"Container\{Name:[^,]*,Image:(?<image>[^,}\s]+)"#, .strict),
        (#"Unable to find image '(?<image>[^'\s]+)'"#, .strict),
        (#"short-name \\*"(?<image>[^"\\\s]+)"#, .strict),
        (#"(?:default image tag|parse image reference) \\*"(?<image>[^"\\]+)"#, .strict),
        (#"[Ii]mage \\*"(?<image>[^"\\\s]+)\\*""#, .strict),
        (#"(?:reference|image|Image) \\*"(?<image>[^"\\\s]+)\\*""#, .strict),
        (#"(?i)(?:unable to pull|unpacking|pulling candidate|trying to pull repository) '?(?<image>\#(ref))"#, .shaped),
        (#"image name (?<image>\#(ref))"#, .shaped),
        (#"[Ii]mage pull failed:? (?:for )?(?<image>\#(ref))"#, .shaped),
        (#"node image \((?<image>\#(ref))\)"#, .shaped),
        (#"waiting to start: (?<image>\#(ref)) can"#, .strict),
        (#"for image (?<image>\#(ref))"#, .shaped),
        (#" but \\*"(?<image>[^"\\\s]+)\\*" could not be found"#, .strict),
        (#"parse image ref(?:erence)? \\*"(?<image>[^"\\]+)"#, .strict),
        (#"\bImage (?<image>\#(ref))"#, .shaped),
        (#"\bimage=\\*"?(?<image>\#(ref))"#, .strict),
        (#"(?:^|[\s(])(?<image>\#(ref)): (?:toomanyrequests|failed to|resolving|not found|unauthorized|denied|Error response from daemon: )"#, .shaped),
        (#"oci://(?<image>\#(ref))"#, .strict),
        (#"(?:^|[\s"(])(?<image>\#(ref)): not found\b"#, .shaped),
        (#"(?i)(?:Pulling|Trying to pull)(?: image)?:? (?<image>\#(ref))"#, .shaped),
        (#"(?:^|\s)(?:Image|image):\s*(?<image>\#(ref))"#, .shaped),
        // containers/image's search over registries: `trying to pull image specified by "REF"`,
        // then one line a candidate: `* "docker.io/library/REF": ERROR`.
        (#"image specified by \\*"(?<image>[^"\\\s]+)"#, .strict),
        (#"^\s*\* \\*"(?<image>[^"\\\s]+)\\*": "#, .strict),
    ] as [(String, Looseness)]).map { (try! Regex($0.0), $0.1) }

    /// When no wording names the image: a reference written with its registry host
    /// (`quay.io/calico/node:v3.25.1`, `10.0.0.5:5000/x`), standing on its own — not inside a
    /// URL or a path, not a source-code path (`github.com/…/x.go`).
    static let qualifiedPattern = try! Regex(
        #"(?<![\w./:@%$\\-])(?<image>(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?::[0-9]+)?|(?:[0-9]{1,3}\.){3}[0-9]{1,3}:[0-9]+|localhost:[0-9]+)"#
        + #"/[a-z0-9][a-z0-9._-]*(?:/[a-z0-9][a-z0-9._-]*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{8,})?)(?![\w/.-]|:[\w/])"#)

    /// Hosts whose paths are source code or web pages, not images.
    private static let notRegistryHosts: Set<String> = ["github.com", "gitlab.com", "golang.org", "k8s.io", "sigs.k8s.io",
                                                         "gopkg.in", "go.uber.org", "google.golang.org", "bitbucket.org"]

    /// How much a pattern's words vouch for what follows them.
    enum Looseness {
        /// The wording names an image (`pull access denied for X`): take it as written.
        case strict
        /// Take it if it is a valid reference (`failed to solve: cudf:` but not `httpReaderSeeker:`).
        case parses
        /// Generic words: take it only if it looks like a reference (`/`, `:`, `.` or `@` in it).
        case shaped
    }

    /// Patterns naming the registry when no image is named. Groups: `host`, optional `repository`.
    static let registryPatterns: [Regex] = [
        // `pinging container registry HOST` names the host even when the URL after it is redacted.
        #"pinging (?:container|docker) registry (?<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]+)?"#
            + #"|localhost(?::[0-9]+)?|[A-Za-z0-9-]+:[0-9]+)"#,
        // A registry API request: https://HOST/v2/REPO/manifests/REF (or /v1/, or /v2/ itself).
        #"https?://\s?(?<host>[A-Za-z0-9_.<>*#-]+(?::[0-9]+)?)/v[12]/(?:(?<repository>[a-z0-9._/-]+?)/(?:manifests|blobs|tags)/)?"#,
        // A token realm: https://HOST/token?scope=repository:REPO:pull&service=…
        #"https?://(?<host>[A-Za-z0-9_.-]+(?::[0-9]+)?)/[^\s"'\\]*?(?:token|oauth2|/auth)\b"#
            + #"(?:[^\s"'\\]*scope=repository(?::|%3A)(?<repository>[a-z0-9._-]+(?:%2F[a-z0-9._-]+)+|[a-z0-9._/-]+))?"#,
        #"pulling from host (?<host>[A-Za-z0-9.-]+(?::[0-9]+)?) failed"#,
        // containerd's status error with the URL cut short (`https://HOST...: 4...`).
        #"unexpected status code https?://(?<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]+)?)"#,
        #"error pinging registry (?<host>[A-Za-z0-9.-]+(?::[0-9]+)?),"#,
        // Harbor's replication adapter and Docker's old endpoint check, with the URL's path not /v2/.
        #"failed to ping registry https?://(?<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]+)?)"#,
        #"(?:invalid registry endpoint|Remote host) https?://(?<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]+)?)/"#,
        #"\bhost=\\*"?(?<host>[A-Za-z0-9.-]+(?::[0-9]+)?)"#,
        // A field naming it (argocd-image-updater's `registry="HOST"`).
        #"\bregistry=\\*"?(?<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]+)?)\\*"?(?:\s|$)"#,
        // containers/image's reference printed as a Go struct: `{{{HOST REPO} sha256:…}`.
        #"\{\{\{(?<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]+)?) (?<repository>[a-z0-9._/-]+)\}"#,
    ].map { try! Regex($0) }

    /// Last resort: the host of a blob download URL (a registry's storage or CDN).
    static let blobURLPattern = try! Regex(#"https?://(?<host>[A-Za-z0-9.-]+(?::[0-9]+)?)/[^\s"'\\]*"#
                                           + #"(?:registry|blobs|sha256|layer|manifest)"#)

    /// The host of a failed DNS lookup: the registry (or mirror) the runtime was dialing,
    /// unless the failure is the proxy's (then the looked-up host is the proxy).
    static let lookupPattern = try! Regex(#"lookup (?<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?::\d+)?(?: on |: )"#)

    /// Docker's layer download dialing the registry's blob host: `dialing HOST:443 container via …`.
    static let dialingPattern = try! Regex(#"\bdialing (?<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?::\d+)? container via"#)

    static let scratch = ThreadLocalScratch()

    /// The target of `record`: the image (`capturedImage` from the deciding rules, else the
    /// record's `image=` field, else the patterns above); with no image, the registry from a
    /// request URL, then `capturedRegistry` (the winning rule's), then a looked-up host
    /// (unless `dnsHostIsRegistry` is false: a proxy's failure looks up the proxy), then a
    /// blob download URL.
    public static func target(in record: Record, capturedImage: String? = nil, capturedRegistry: String? = nil,
                              dnsHostIsRegistry: Bool = true) -> PullTarget {
        if let image = (capturedImage ?? image(in: record)).map(trimmed), !image.isEmpty {
            var t = PullTarget(image: image)
            if case .success(let ref) = ImageReference.parse(image) {
                t.registry = ref.registry
                t.repository = ref.repository
            } else {
                // An invalid reference (uppercase, stray spaces) still names its registry; a first
                // component the runtime dialed (`https://FIRST/v2/`, `lookup FIRST`) was a host.
                t.registry = ImageReference.registryGuess(image)
                if let slash = image.firstIndex(of: "/"), t.registry == "docker.io" {
                    let first = image[..<slash]
                    if !first.isEmpty, record.message.contains("://\(first)/") || record.message.contains("lookup \(first)") {
                        t.registry = String(first)
                    }
                }
            }
            t.evidence = t.registry == nil ? nil : .image
            return t
        }
        let s = scratch.get()
        func first(_ patterns: [Regex]) -> PullTarget? {
            for regex in patterns {
                guard case .match(let c) = regex.match(record.message, scratch: s), let host = c["host"] else { continue }
                let repository = c["repository"].map { $0.replacingOccurrences(of: "%2F", with: "/") }
                return PullTarget(registry: canonicalHost(host), repository: repository, evidence: .url)
            }
            return nil
        }
        if let t = first(registryPatterns) { return t }
        if let host = capturedRegistry { return PullTarget(registry: canonicalHost(host), evidence: .url) }
        return first(dnsHostIsRegistry ? [lookupPattern, dialingPattern, blobURLPattern] : [dialingPattern, blobURLPattern]) ?? PullTarget()
    }

    /// The image as written in `record`, or nil: its `image=` field, else the earliest
    /// reference any pattern finds — the outermost one in an error chain, which is the one
    /// the pod asked for (`Failed to pull image "nginx"` before `"docker.io/library/nginx"`).
    public static func image(in record: Record) -> String? {
        if let v = record.field("image"), !v.isEmpty { return v }
        let s = scratch.get()
        var best: (start: Int, image: String)?
        var message = record.message
        message.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            for (regex, looseness) in imagePatterns {
                guard case .match(let c) = regex.match(raw, scratch: s), var image = c["image"],
                      let start = c.range("image")?.lowerBound, start < best?.start ?? Int.max else { continue }
                image = trimmed(image.contains("%") ? image.removingPercentEncoding ?? image : image)
                if image.isEmpty || !image.contains(where: \.isLetter) { continue }
                switch looseness {
                case .strict: break
                case .parses: guard case .success = ImageReference.parse(image) else { continue }
                case .shaped: guard image.contains(where: { $0 == "/" || $0 == ":" || $0 == "." || $0 == "@" }) else { continue }
                }
                if let tag = c["tag"], !tag.isEmpty, !image.contains("@") {
                    image += (tag.contains(":") ? "@" : ":") + tag
                }
                best = (start, image)
            }
        }
        if let best { return best.image }
        var fallback: String?
        message.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            var from = 0
            while from < raw.count, case .match(let c) = qualifiedPattern.match(raw, scratch: s, from: from),
                  let image = c["image"], let end = c.range("image")?.upperBound {
                from = max(end, from + 1)
                let host = image.prefix { $0 != "/" }.lowercased()
                let last = image.split(separator: "/").last ?? ""
                let sourceFile = [".go", ".rs", ".py", ".js", ".ts", ".java", ".yaml", ".yml", ".json", ".conf", ".toml", ".md",
                                  ".html", ".txt", ".sh", ".log", ".tar", ".gz", ".tgz", ".zip", ".sif"].contains { last.lowercased().hasSuffix($0) }
                if notRegistryHosts.contains(host) || host.hasPrefix("www.") || sourceFile { continue }
                fallback = trimmed(image)
                break
            }
        }
        return fallback
    }

    private static let dockerHubHosts: Set<String> = ["auth.docker.io", "hub.docker.com", "dseasb33srnrn.cloudfront.net", "d2iks1dkcwqcbx.cloudfront.net",
                                                      "auth.ipv6.docker.com", "registry.ipv6.docker.com",
                                                      "cdn-registry-1.docker.io"]

    /// A request host as a registry: Docker Hub's API, index, auth, web API and blob CDN hosts are
    /// `docker.io`; `:443` is dropped.
    static func canonicalHost(_ host: String) -> String {
        var h = host
        if h.hasSuffix(":443") { h.removeLast(4) }
        let l = h.lowercased()
        if Self.dockerHubHosts.contains(l)
            || (l.hasPrefix("production.cloud") && l.hasSuffix(".docker.com"))
            || (l.hasPrefix("docker-images-prod.") && l.hasSuffix(".r2.cloudflarestorage.com")) {
            return "docker.io"
        }
        return ImageReference.canonicalRegistryHost(h)
    }

    /// Drops sentence punctuation a reference does not end with.
    static func trimmed(_ image: String) -> String {
        var s = Substring(image)
        // A Markdown link pasted as the reference (`[quay.io/x:1](http://quay.io/x:1)`): its text.
        if s.first == "[" {
            s = s.dropFirst()
            if let end = s.range(of: "](")?.lowerBound ?? s.firstIndex(of: "]") { s = s[..<end] }
        }
        while let last = s.last, last == "." || last == "," || last == ";" || last == ":" || last == "'" || last == ")" { s = s.dropLast() }
        return String(s)
    }
}
