import Foundation
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// The certificate files of `--tls-cert`, `--tls-key` and `--tls-client-ca`.
public struct TLSFiles: Sendable, Equatable {
    /// PEM certificate chain, leaf first.
    public var certificate: String
    /// PEM private key of the leaf.
    public var key: String
    /// PEM CA bundle: when given, clients must present a certificate it signed (mTLS).
    public var clientCA: String?

    public init(certificate: String, key: String, clientCA: String? = nil) {
        self.certificate = certificate; self.key = key; self.clientCA = clientCA
    }
}

/// Why the TLS files cannot be used; says which file and what is wrong with it.
public struct TLSSetupError: Error, CustomStringConvertible {
    public var description: String
}

/// The server's TLS context, reloadable: every new connection (HTTPS and syslog over TLS)
/// takes the context current when it is accepted, so `reload()` (on SIGHUP) puts a renewed
/// certificate, key or client CA in force without a restart; connections already open keep
/// theirs. A reload that fails keeps the context in force.
public final class TLSContextBox: Sendable {
    public let files: TLSFiles
    private let current: NIOLockedValueBox<NIOSSLContext>

    /// Loads and checks the files; throws `TLSSetupError` naming the file at fault.
    public init(files: TLSFiles) throws {
        self.files = files
        current = NIOLockedValueBox(try Self.load(files))
    }

    /// The context for a new connection.
    public var context: NIOSSLContext { current.withLockedValue { $0 } }

    /// Loads the files again; on success new connections use them.
    public func reload() throws {
        let context = try Self.load(files)
        current.withLockedValue { $0 = context }
    }

    /// Reads and checks the files: readable PEM, the leaf valid now (not expired, not yet
    /// valid), the key the leaf's, the client CA readable. TLS 1.2 at least.
    static func load(_ files: TLSFiles, now: time_t = time(nil)) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificate)
        } catch {
            throw TLSSetupError(description: "--tls-cert \(files.certificate): cannot read a PEM certificate (\(Self.reason(error)))")
        }
        guard let leaf = chain.first else {
            throw TLSSetupError(description: "--tls-cert \(files.certificate): no certificate in the file")
        }
        if leaf.notValidAfter < now {
            throw TLSSetupError(description: "--tls-cert \(files.certificate): the certificate expired on \(Self.date(leaf.notValidAfter))")
        }
        if leaf.notValidBefore > now {
            throw TLSSetupError(description: "--tls-cert \(files.certificate): the certificate is not valid before "
                                + Self.date(leaf.notValidBefore))
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        } catch {
            throw TLSSetupError(description: "--tls-key \(files.key): cannot read a PEM private key (\(Self.reason(error)))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                    privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let ca = files.clientCA {
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMFile(ca)
            } catch {
                throw TLSSetupError(description: "--tls-client-ca \(ca): cannot read PEM certificates (\(Self.reason(error)))")
            }
            guard !roots.isEmpty else { throw TLSSetupError(description: "--tls-client-ca \(ca): no certificate in the file") }
            configuration.trustRoots = .certificates(roots)
            // Clients must present a certificate that chains to the CA (no host name to check).
            configuration.certificateVerification = .noHostnameVerification
        }
        // BoringSSL refuses a key that is not the leaf's here (KEY_VALUES_MISMATCH).
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSSetupError(description: "--tls-key \(files.key) does not go with --tls-cert \(files.certificate) "
                                + "(\(Self.reason(error)))")
        }
        return context
    }

    static func reason(_ error: Error) -> String {
        if let e = error as? NIOSSLError { return "\(e)" }
        return "\(error)"
    }

    static func date(_ t: time_t) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }
}

/// A server child channel that speaks TLS with the context current when the connection is
/// accepted (`TLSContextBox`), before the base channel (HTTP/1.1) sets up.
public struct ReloadableTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    public typealias Value = Base.Value
    let base: Base
    let tls: TLSContextBox

    public init(_ base: Base, tls: TLSContextBox) { self.base = base; self.tls = tls }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension ReloadableTLSChannel: HTTPChannelHandler where Base: HTTPChannelHandler {
    public var responder: HTTPChannelHandler.Responder { base.responder }
}
