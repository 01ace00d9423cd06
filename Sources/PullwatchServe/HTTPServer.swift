import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import PullwatchIO

/// The HTTP side of the sink: `POST /v1/ingest`, `GET /metrics`, `GET /v1/report`,
/// `GET /v1/incidents`, `HEAD /` and `GET /healthz`.
public enum SinkHTTP {
    public static func application(host: String, port: Int, token: String?, ingestor: Ingestor,
                                   metrics: SinkMetrics, limits: ServeLimits, tls: TLSContextBox? = nil) -> some ApplicationProtocol {
        let router = Router()
        router.head("/") { _, _ in HTTPResponse.Status.ok }
        router.get("/") { _, _ in "pullwatch sink: POST /v1/ingest; GET /metrics, /v1/report, /v1/incidents\n" }
        router.get("/healthz") { _, _ in "ok\n" }
        // Shippers' health checks may HEAD the endpoint itself.
        router.head("/healthz") { _, _ in HTTPResponse.Status.ok }
        router.head("/v1/ingest") { _, _ in HTTPResponse.Status.ok }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        router.get("/v1/report") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: await ingestor.reportJSON())))
        }
        router.get("/v1/incidents") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: await ingestor.incidentsJSON())))
        }
        router.post("/v1/ingest") { request, context -> Response in
            if let token, !authorized(request.headers[.authorization], token: token) {
                metrics.rejected("unauthorized")
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"])
            }
            // Room in the queue is taken before any work (the body is not even read), so an
            // overloaded sink answers 503 cheaply.
            guard await ingestor.admit() else {
                metrics.rejected("queue_full")
                return Response(status: .serviceUnavailable, headers: [.retryAfter: "1"])
            }
            let response = await ingest(request, ingestor: ingestor, metrics: metrics, limits: limits)
            await ingestor.release()
            return response
        }
        // A client that sends nothing for `readTimeout` seconds is disconnected; others are served
        // meanwhile (one channel per connection).
        return Application(router: router,
                           server: server(HTTP1Channel.Configuration(idleTimeout: .seconds(limits.readTimeout)), tls: tls),
                           configuration: .init(address: .hostname(host, port: port), serverName: "pullwatch"))
    }

    /// HTTP/1.1, inside TLS when `tls` is given (the context current when a connection is
    /// accepted: SIGHUP reloads it).
    static func server(_ configuration: HTTP1Channel.Configuration, tls: TLSContextBox?) -> HTTPServerBuilder {
        guard let tls else { return .http1(configuration: configuration) }
        return HTTPServerBuilder { responder in
            ReloadableTLSChannel(HTTP1Channel(responder: responder, configuration: configuration), tls: tls)
        }
    }

    /// Metrics only (`follow --metrics-listen`): `GET /metrics`, `GET /healthz`.
    public static func metricsApplication(host: String, port: Int, metrics: SinkMetrics,
                                          tls: TLSContextBox? = nil) -> some ApplicationProtocol {
        let router = Router()
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        return Application(router: router, server: server(HTTP1Channel.Configuration(), tls: tls),
                           configuration: .init(address: .hostname(host, port: port), serverName: "pullwatch"))
    }

    /// Streams an admitted body — gzip-decoded as its parts arrive, framed, decoded and
    /// classified — then commits it whole; the answer for it. Memory does not grow with the
    /// body: a part at a time, the framer's unfinished line, the failures found.
    static func ingest(_ request: Request, ingestor: Ingestor, metrics: SinkMetrics, limits: ServeLimits) async -> Response {
        let session = ingestor.session(source: "http")
        let gzipped = (request.headers[.contentEncoding] ?? "").lowercased().contains("gzip")
        var body = BodyDecoder(session: session, gzip: gzipped, limits: limits)
        do {
            for try await part in request.body {
                try part.withUnsafeReadableBytes { try body.push($0) }
            }
            try body.finish()
        } catch let failure as BodyFailure {
            metrics.rejected(failure == .tooLarge ? "too_large" : "bad_gzip")
            return Response(status: failure == .tooLarge ? .contentTooLarge : .badRequest)
        } catch {
            // The connection failed mid-body: nothing is committed, the shipper retries.
            metrics.rejected("incomplete_body")
            return Response(status: .badRequest)
        }
        let outcome: IngestOutcome
        do {
            outcome = try await ingestor.ingest(session)
        } catch {
            // Not committed: the shipper keeps the batch and retries.
            metrics.rejected("commit_failed")
            return Response(status: .serviceUnavailable, headers: [.retryAfter: "5"])
        }
        // A JSON body none of whose lines parsed can never be valid (its lines were counted).
        let isJSON = (request.headers[.contentType] ?? "").contains("json")
        if isJSON && outcome.lines > 0 && (outcome.rejected["malformed_json"] ?? 0) >= outcome.lines {
            return Response(status: .badRequest)
        }
        return Response(status: .noContent)
    }

    /// Constant-time comparison of `Authorization: Bearer TOKEN`.
    static func authorized(_ header: String?, token: String) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.dropFirst(7).utf8), expected = Array(token.utf8)
        var diff = UInt8(given.count == expected.count ? 0 : 1)
        for i in 0..<max(given.count, expected.count) {
            diff |= (i < given.count ? given[i] : 0) ^ (i < expected.count ? expected[i] : 0)
        }
        return diff == 0
    }

    enum BodyFailure: Error { case tooLarge, corrupt }

    /// A request body on its way into a `BodySession`: counted against the size limits and,
    /// when gzip-encoded, inflated as it arrives (`GzipReader` in push mode over a `PushReader`).
    struct BodyDecoder {
        let session: BodySession
        let limits: ServeLimits
        private let input: PushReader?
        private let gzip: GzipReader?
        private var received = 0
        private var buffer = [UInt8](repeating: 0, count: 1 << 16)

        init(session: BodySession, gzip: Bool, limits: ServeLimits) {
            self.session = session
            self.limits = limits
            input = gzip ? PushReader() : nil
            self.gzip = input.map { GzipReader($0, ratioLimit: limits.ratioLimit) }
        }

        /// One part of the body as sent.
        mutating func push(_ part: UnsafeRawBufferPointer) throws {
            received += part.count
            if received > limits.maxBodyBytes { throw BodyFailure.tooLarge }
            guard let input else {
                session.feed(part)
                return
            }
            input.push(part)
            try drain()
        }

        /// The end of the body: what the inflater still holds, and a truncated stream is an error.
        mutating func finish() throws {
            guard let input else { return }
            input.finish()
            try drain()
        }

        /// Feeds the session everything the inflater can give from the input so far.
        private mutating func drain() throws {
            guard let gzip else { return }
            while true {
                let n: Int
                do {
                    n = try buffer.withUnsafeMutableBytes { try gzip.read(into: $0) }
                } catch is InputPending {
                    return
                } catch GzipError.ratioExceeded {
                    throw BodyFailure.tooLarge
                } catch {
                    throw BodyFailure.corrupt
                }
                if n == 0 { return }
                if session.bytes + n > limits.maxDecodedBytes { throw BodyFailure.tooLarge }
                buffer.withUnsafeBytes { session.feed(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            }
        }
    }
}
