import ArgumentParser
import Foundation
import Hummingbird
import PullwatchRecords
import PullwatchServe
import PullwatchFollow

/// `pullwatch serve`: the sink for log shippers.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Receive lines from log shippers (HTTP and syslog over TCP); serve metrics, the report and incidents.",
        discussion: """
        POST /v1/ingest takes NDJSON, a JSON array, or text lines (gzip with Content-Encoding). \
        A 2xx answer means the lines are committed to the state database. GET /metrics, \
        /v1/report, /v1/incidents; HEAD / and GET /healthz for health checks. With --tls-cert and \
        --tls-key both listeners speak TLS (HTTPS; syslog over TLS, RFC 5425); with --tls-client-ca \
        clients must present a certificate it signed. SIGHUP reloads the certificates. A \
        non-loopback --listen needs --token-file (Authorization: Bearer) or --tls-client-ca, \
        unless --insecure-no-auth.
        """
    )

    @Option(help: ArgumentHelp("HTTP address.", valueName: "host:port"))
    var listen = "127.0.0.1:8088"

    @Option(help: ArgumentHelp("Also accept syslog over TCP (RFC 6587 octet counting or LF framing) here.", valueName: "host:port"))
    var syslog: String?

    @Option(help: ArgumentHelp("File holding the bearer token clients must send.", valueName: "file"))
    var tokenFile: String?

    @OptionGroup var tls: TLSOptions

    @Flag(help: "Allow a non-loopback --listen without a token or client certificates.")
    var insecureNoAuth = false

    @Option(help: ArgumentHelp("Seconds a client may stay silent before it is disconnected.", valueName: "seconds"))
    var readTimeout: Int64 = 30

    @Option(help: ArgumentHelp("Batches in flight before the sink answers 503.", valueName: "n", visibility: .hidden))
    var maxPending = ServeLimits().maxPending

    @Option(name: .customLong("message-key"),
            help: ArgumentHelp("A JSON key holding the message, tried before message, log, msg (repeatable; a.b is a path).",
                               valueName: "key"))
    var messageKeys: [String] = []

    @Option(name: .customLong("host-key"),
            help: ArgumentHelp("A JSON key holding the node name, tried before hostname, host, kubernetes.host (repeatable).",
                               valueName: "key"))
    var hostKeys: [String] = []

    @OptionGroup var stateOptions: StateOptions
    @OptionGroup var rules: RuleOptions

    static func split(_ address: String, flag: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (0...65535).contains(port) else {
            throw ValidationError("\(flag): '\(address)' is not host:port")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    func validate() throws {
        let (host, _) = try Self.split(listen, flag: "--listen")
        if let syslog { _ = try Self.split(syslog, flag: "--syslog") }
        if !Self.isLoopback(host) && tokenFile == nil && tls.clientCA == nil && !insecureNoAuth {
            throw ValidationError("--listen \(listen) is not loopback: give --token-file or --tls-client-ca, "
                                  + "or --insecure-no-auth to accept anyone")
        }
    }

    func run() throws {
        LongRunning.boundHeap()
        let ruleSet = try rules.load()
        let tlsContext = try tls.load()
        let reloader = CertificateReloader()
        if let tlsContext { reloader.install(tlsContext) }
        let store = try stateOptions.open(writeAheadLog: true)
        var token: String?
        if let tokenFile {
            guard let t = try? String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
                  !t.isEmpty else {
                Stderr.write("pullwatch: \(tokenFile): cannot read a token")
                throw ExitCode(2)
            }
            token = t
        }
        let (host, port) = try Self.split(listen, flag: "--listen")
        let syslogAddress = try syslog.map { try Self.split($0, flag: "--syslog") }
        var limits = ServeLimits()
        limits.readTimeout = readTimeout
        limits.maxPending = maxPending
        let metrics = SinkMetrics(version: Pullwatch.configuration.version)
        let keys = RecordKeys(preferring: messageKeys, host: hostKeys)
        let ingestor = try Ingestor(store: store, rules: ruleSet, metrics: metrics, limits: limits, keys: keys,
                                    retention: try stateOptions.retentionNanos)
        try runAsync("serve: ") { [token] in
            let syslogChannel = try await syslogAddress.asyncMap {
                try await SyslogServer.start(host: $0.0, port: $0.1, ingestor: ingestor, maxMessage: 1 << 20, tls: tlsContext)
            }
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: UInt64(IncidentTracker.resolveCheckInterval))
                    await ingestor.tick()
                }
            }
            defer { ticker.cancel() }
            let app = SinkHTTP.application(host: host, port: port, token: token, ingestor: ingestor, metrics: metrics, limits: limits,
                                           tls: tlsContext)
            let scheme = tlsContext == nil ? ("http", "tcp") : ("https", "tls")
            Stderr.write("pullwatch: serving on \(scheme.0)://\(listen)" + (syslog.map { ", syslog on \(scheme.1)://\($0)" } ?? ""))
            try await app.runService()
            try await syslogChannel?.close()
            withExtendedLifetime(reloader) {}
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

/// Process settings for the modes that run for months.
enum LongRunning {
    /// glibc raises its mmap threshold each time a large block is freed, after which request
    /// bodies (hundreds of KiB, decoded on many threads) come from the heap and fragment it: the
    /// sink's RSS grew by ~200 bytes per line received (measured: 131 MiB after 300 000 lines,
    /// 43 MiB with a fixed threshold). A fixed 256 KiB threshold gives large buffers back to the
    /// system when freed.
    static func boundHeap() {
        #if os(Linux)
        // mallopt(M_MMAP_THRESHOLD = -3, …): malloc.h is not in the Glibc module.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(-3, 256 << 10)
        #endif
    }
}
