import ArgumentParser
import Foundation
import PullwatchServe

/// `--tls-cert`, `--tls-key`, `--tls-client-ca`: HTTPS (and syslog over TLS) for `serve`, and
/// HTTPS for `follow --metrics-listen`. SIGHUP reloads the files.
struct TLSOptions: ParsableArguments {
    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("PEM certificate chain (leaf first): serve HTTPS, and syslog over TLS.",
                                                              valueName: "file"))
    var certificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("PEM private key of --tls-cert.", valueName: "file"))
    var key: String?

    @Option(name: .customLong("tls-client-ca"),
            help: ArgumentHelp("PEM CA bundle: require client certificates it signed (mTLS).", valueName: "file"))
    var clientCA: String?

    var files: TLSFiles? {
        guard let certificate, let key else { return nil }
        return TLSFiles(certificate: certificate, key: key, clientCA: clientCA)
    }

    func validate() throws {
        if (certificate == nil) != (key == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if clientCA != nil && certificate == nil { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key") }
    }

    /// The context, or nil without TLS. A file that cannot be used stops the start (exit 2).
    func load() throws -> TLSContextBox? {
        guard let files else { return nil }
        do {
            return try TLSContextBox(files: files)
        } catch {
            Stderr.write("pullwatch: \(error)")
            throw ExitCode(2)
        }
    }
}

/// SIGHUP for `serve`: the certificates are read again; a failed reload keeps the ones in force.
final class CertificateReloader: @unchecked Sendable {
    private var source: DispatchSourceSignal?

    func install(_ tls: TLSContextBox) {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { Self.reload(tls) }
        source.resume()
        self.source = source
    }

    static func reload(_ tls: TLSContextBox) {
        do {
            try tls.reload()
            Stderr.write("pullwatch: certificates reloaded (\(tls.files.certificate))")
        } catch {
            Stderr.write("pullwatch: certificates not reloaded, keeping the ones in force: \(error)")
        }
    }
}
