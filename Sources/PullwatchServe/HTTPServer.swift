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
            let raw: ByteBuffer
            do {
                raw = try await request.body.collect(upTo: limits.maxBodyBytes)
            } catch {
                metrics.rejected("too_large")
                return Response(status: .contentTooLarge)
            }
            // Room in the queue is taken before any work, so an overloaded sink answers 503 cheaply.
            guard await ingestor.admit() else {
                metrics.rejected("queue_full")
                return Response(status: .serviceUnavailable, headers: [.retryAfter: "1"])
            }
            let response = await ingest(raw, request: request, ingestor: ingestor, metrics: metrics, limits: limits)
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

    /// Decodes (gzip), ingests and commits an admitted body; the answer for it.
    static func ingest(_ raw: ByteBuffer, request: Request, ingestor: Ingestor, metrics: SinkMetrics,
                       limits: ServeLimits) async -> Response {
        var bytes = Array(raw.readableBytesView)
        if (request.headers[.contentEncoding] ?? "").lowercased().contains("gzip") {
            switch gunzip(bytes, limits: limits) {
            case .success(let decoded): bytes = decoded
            case .failure(let reason):
                metrics.rejected(reason == .tooLarge ? "too_large" : "bad_gzip")
                return Response(status: reason == .tooLarge ? .contentTooLarge : .badRequest)
            }
        }
        let outcome: IngestOutcome
        do {
            outcome = try await ingestor.ingest(bytes, source: "http")
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

    enum GunzipFailure: Error { case tooLarge, corrupt }

    static func gunzip(_ bytes: [UInt8], limits: ServeLimits) -> Result<[UInt8], GunzipFailure> {
        let reader = GzipReader(ChunkedReader(bytes), ratioLimit: limits.ratioLimit)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            do {
                let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                if n == 0 { return .success(out) }
                out += buffer[..<n]
                if out.count > limits.maxDecodedBytes { return .failure(.tooLarge) }
            } catch GzipError.ratioExceeded {
                return .failure(.tooLarge)
            } catch {
                return .failure(.corrupt)
            }
        }
    }
}
