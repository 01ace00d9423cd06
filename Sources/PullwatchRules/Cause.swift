/// The root cause of an image-pull failure. Ids are fixed by DESIGN.md.
public enum Cause: String, CaseIterable, Sendable, Codable, Comparable {
    case tagNotFound = "tag_not_found"
    case repositoryNotFound = "repository_not_found"
    case accessDenied = "access_denied"
    case unauthorized
    case rateLimited = "rate_limited"
    case networkTimeout = "network_timeout"
    case dnsFailure = "dns_failure"
    case connectionFailed = "connection_failed"
    case tlsError = "tls_error"
    case proxyError = "proxy_error"
    case registryError = "registry_error"
    case diskPressure = "disk_pressure"
    case runtimeError = "runtime_error"
    case platformMismatch = "platform_mismatch"
    case invalidImageName = "invalid_image_name"
    case neverPull = "never_pull"
    case policyRejected = "policy_rejected"
    case pullStalled = "pull_stalled"
    case digestMismatch = "digest_mismatch"
    case backoff
    case unknown

    /// Default precedence when several rules match one record: higher wins. A rule may set
    /// its own `priority`. The order encodes "most specific cause wins": a DNS lookup that
    /// timed out is `dns_failure`, not `network_timeout`; a 429 is `rate_limited`, not a
    /// generic registry error; any named cause beats `unknown`, and `unknown` (an explicit
    /// failure message no rule explains) beats `backoff` (a record that states no cause).
    public var defaultPriority: Int {
        switch self {
        case .neverPull, .invalidImageName: return 95
        case .platformMismatch, .policyRejected: return 90
        case .digestMismatch: return 88
        case .diskPressure: return 85
        case .rateLimited: return 80
        case .proxyError: return 78
        case .tlsError: return 76
        case .dnsFailure: return 74
        case .unauthorized: return 70
        case .accessDenied: return 65
        case .repositoryNotFound: return 62
        case .tagNotFound: return 60
        case .connectionFailed: return 55
        case .networkTimeout: return 50
        case .registryError: return 45
        case .pullStalled: return 40
        case .runtimeError: return 35
        case .unknown: return 20
        case .backoff: return 15
        }
    }

    /// True for the causes that mark a record as a pull failure without naming a cause:
    /// their rules are the failure context the specific rules refine.
    public var isContext: Bool { self == .backoff || self == .unknown }

    public static func < (a: Cause, b: Cause) -> Bool { a.rawValue < b.rawValue }
}
