/// A container image reference parsed and normalized by the distribution/reference grammar
/// (the one containerd, CRI-O and Docker use):
///
///     reference := name [ ":" tag ] [ "@" digest ]
///     name      := [ domain "/" ] path-component ( "/" path-component )*
///     domain    := host [ ":" port ]        host: DNS name, IPv4, or "[" IPv6 "]"
///
/// Normalization follows `ParseNormalizedNamed`: the first component is a domain only if it
/// contains `.` or `:`, is `localhost`, or has an uppercase letter; otherwise the domain is
/// `docker.io`, and a single-component name gets `library/`. `index.docker.io` is `docker.io`.
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    /// The text as written.
    public let original: String
    /// Registry host (and port): `docker.io`, `localhost:5000`, `[::1]:5000`.
    public let domain: String
    /// Repository path: `library/nginx`, `team/app`.
    public let path: String
    /// Tag, when given.
    public let tag: String?
    /// Digest (`sha256:…`), when given.
    public let digest: String?

    /// Same as `domain`.
    public var registry: String { domain }
    /// Same as `path`.
    public var repository: String { path }

    /// `domain/path[:tag][@digest]`, fully qualified.
    public var normalized: String {
        var s = domain + "/" + path
        if let tag { s += ":" + tag }
        if let digest { s += "@" + digest }
        return s
    }

    /// `normalized`, with `:latest` when neither tag nor digest was given (what a pull fetches).
    public var normalizedWithDefaultTag: String {
        tag == nil && digest == nil ? normalized + ":latest" : normalized
    }

    /// The shortest form Docker would print (`nginx:1.25`, `team/app`, `ghcr.io/o/x:1`).
    public var familiar: String {
        var name = domain + "/" + path
        if domain == "docker.io" {
            name = path.hasPrefix("library/") && !path.utf8.dropFirst(8).contains(UInt8(ascii: "/")) ? String(path.dropFirst(8)) : path
        }
        if let tag { name += ":" + tag }
        if let digest { name += "@" + digest }
        return name
    }

    public var description: String { normalized }

    /// Parses and normalizes `text`.
    public static func parse(_ text: String) -> Result<ImageReference, ImageReferenceError> {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return .failure(.empty) }
        if bytes.count == 64, bytes.allSatisfy(isHexLower) {
            return .failure(.ambiguousIdentifier)
        }
        // Split off @digest, then :tag (a ':' after the last '/').
        var nameEnd = bytes.count
        var digest: String?
        if let at = bytes.firstIndex(of: UInt8(ascii: "@")) {
            let d = Array(bytes[(at + 1)...])
            guard isDigest(d) else { return .failure(.invalidDigest) }
            digest = String(decoding: d, as: UTF8.self)
            nameEnd = at
        }
        var tag: String?
        let lastSlash = bytes[..<nameEnd].lastIndex(of: UInt8(ascii: "/")) ?? -1
        if let colon = bytes[..<nameEnd].lastIndex(of: UInt8(ascii: ":")), colon > lastSlash {
            let t = Array(bytes[(colon + 1)..<nameEnd])
            guard isTag(t) else { return .failure(.invalidTag) }
            tag = String(decoding: t, as: UTF8.self)
            nameEnd = colon
        }
        let name = Array(bytes[..<nameEnd])
        guard !name.isEmpty else { return .failure(.invalidFormat) }
        guard name.count <= 255 else { return .failure(.nameTooLong) }

        // Domain or not.
        var domain = "docker.io"
        var remainder = name
        if let slash = name.firstIndex(of: UInt8(ascii: "/")) {
            let first = Array(name[..<slash])
            let looksLikeDomain = first.contains(UInt8(ascii: ".")) || first.contains(UInt8(ascii: ":"))
                || first == Array("localhost".utf8) || first.contains(where: { $0 >= 0x41 && $0 <= 0x5A })
            if looksLikeDomain {
                guard isDomain(first) else { return .failure(.invalidDomain) }
                domain = String(decoding: first, as: UTF8.self)
                remainder = Array(name[(slash + 1)...])
            }
        }
        domain = canonicalRegistryHost(domain)
        if remainder.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) { return .failure(.uppercaseRepository) }
        guard isPath(remainder) else { return .failure(.invalidFormat) }
        var path = String(decoding: remainder, as: UTF8.self)
        if domain == "docker.io" && !remainder.contains(UInt8(ascii: "/")) { path = "library/" + path }
        return .success(ImageReference(original: text, domain: domain, path: path, tag: tag, digest: digest))
    }

    /// Docker Hub's API and legacy index hosts are the registry `docker.io`.
    public static func canonicalRegistryHost(_ host: String) -> String {
        switch host.lowercased() {
        case "registry-1.docker.io", "index.docker.io", "registry.hub.docker.com", "docker.io:443", "registry-1.docker.io:443",
             "index.docker.io:443": return "docker.io"
        default: return host
        }
    }

    /// The registry an invalid reference was meant for (`Registry.Example/Team/App` →
    /// `Registry.Example`, `MyUser/App` → `docker.io`); nil when it names none.
    public static func registryGuess(_ text: String) -> String? {
        var t = Substring(text).drop { $0 == " " || $0 == "\t" }
        while let last = t.last, last == " " || last == "\t" { t = t.dropLast() }
        for scheme in ["https://", "http://", "docker://"] where t.hasPrefix(scheme) { t = t.dropFirst(scheme.count) }
        guard let slash = t.firstIndex(of: "/"), slash != t.startIndex else { return t.isEmpty || t.contains(" ") ? nil : "docker.io" }
        let first = t[..<slash]
        // distribution also takes an uppercase first component for a host; a person means
        // Docker Hub (`MyUser/MyRepo`), so only dots, ports and localhost count here.
        if first.contains(".") || first.contains(":") || first == "localhost" {
            return canonicalRegistryHost(String(first))
        }
        return "docker.io"
    }

    private init(original: String, domain: String, path: String, tag: String?, digest: String?) {
        self.original = original; self.domain = domain; self.path = path; self.tag = tag; self.digest = digest
    }

    // MARK: grammar

    static func isHexLower(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) }
    static func isHex(_ b: UInt8) -> Bool { isHexLower(b) || (b >= 0x41 && b <= 0x46) }
    static func isLowerAlnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7A) }
    static func isAlnum(_ b: UInt8) -> Bool { isLowerAlnum(b) || (b >= 0x41 && b <= 0x5A) }
    static func isWord(_ b: UInt8) -> Bool { isAlnum(b) || b == UInt8(ascii: "_") }

    /// `[\w][\w.-]{0,127}`
    static func isTag(_ t: [UInt8]) -> Bool {
        guard let f = t.first, isWord(f), t.count <= 128 else { return false }
        return t.allSatisfy { isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// `algorithm ":" hex{32,}`; algorithm = `[A-Za-z][A-Za-z0-9]*([+._-][A-Za-z][A-Za-z0-9]*)*`
    static func isDigest(_ d: [UInt8]) -> Bool {
        guard let colon = d.firstIndex(of: UInt8(ascii: ":")) else { return false }
        let alg = d[..<colon], hex = d[(colon + 1)...]
        guard hex.count >= 32, hex.allSatisfy(isHex) else { return false }
        var expectLetter = true
        for b in alg {
            if expectLetter {
                guard (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) else { return false }
                expectLetter = false
            } else if b == UInt8(ascii: "+") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") {
                expectLetter = true
            } else if !isAlnum(b) {
                return false
            }
        }
        return !alg.isEmpty && !expectLetter
    }

    /// path-component ("/" path-component)*; component = `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    static func isPath(_ p: [UInt8]) -> Bool {
        guard !p.isEmpty else { return false }
        for component in p.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            guard let first = component.first, let last = component.last,
                  isLowerAlnum(first), isLowerAlnum(last) else { return false }
            var i = component.startIndex
            while i < component.endIndex {
                let b = component[i]
                if isLowerAlnum(b) { i += 1; continue }
                // separator: '.', '_', '__', or '-'+
                if b == UInt8(ascii: ".") {
                    i += 1
                } else if b == UInt8(ascii: "_") {
                    i += 1
                    if i < component.endIndex, component[i] == UInt8(ascii: "_") { i += 1 }
                } else if b == UInt8(ascii: "-") {
                    while i < component.endIndex, component[i] == UInt8(ascii: "-") { i += 1 }
                } else {
                    return false
                }
                guard i < component.endIndex, isLowerAlnum(component[i]) else { return false }
            }
        }
        return true
    }

    /// host [":" port]; host = DNS name (components `[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?`
    /// joined by '.') or "[" IPv6 "]".
    static func isDomain(_ d: [UInt8]) -> Bool {
        var host = d[...]
        if d.first == UInt8(ascii: "[") {
            guard let close = d.firstIndex(of: UInt8(ascii: "]")), close > 1 else { return false }
            guard d[1..<close].allSatisfy({ isHex($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else { return false }
            let rest = d[(close + 1)...]
            if rest.isEmpty { return true }
            guard rest.first == UInt8(ascii: ":"), rest.count > 1 else { return false }
            return rest.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        }
        if let colon = d.firstIndex(of: UInt8(ascii: ":")) {
            let port = d[(colon + 1)...]
            guard !port.isEmpty, port.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
            host = d[..<colon]
        }
        guard !host.isEmpty else { return false }
        for label in host.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard let f = label.first, let l = label.last, isAlnum(f), isAlnum(l) else { return false }
            guard label.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: "-") }) else { return false }
        }
        return true
    }
}

/// Why a string is not a valid image reference (messages as Docker/containerd word them).
public enum ImageReferenceError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case invalidFormat
    case uppercaseRepository
    case nameTooLong
    case invalidTag
    case invalidDigest
    case invalidDomain
    case ambiguousIdentifier

    public var description: String {
        switch self {
        case .empty: return "invalid reference format: empty reference"
        case .invalidFormat: return "invalid reference format"
        case .uppercaseRepository: return "invalid reference format: repository name must be lowercase"
        case .nameTooLong: return "invalid reference format: repository name must not be more than 255 characters"
        case .invalidTag: return "invalid reference format: invalid tag"
        case .invalidDigest: return "invalid reference format: invalid digest"
        case .invalidDomain: return "invalid reference format: invalid registry host"
        case .ambiguousIdentifier: return "invalid reference format: repository name must be canonical (a 64-hex image ID is ambiguous)"
        }
    }
}
