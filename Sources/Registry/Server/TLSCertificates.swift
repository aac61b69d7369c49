import Logging
import NIOSSL
import Synchronization

/// The server's certificate chain and private key, read from PEM files and read again on
/// request (SIGHUP), so that a renewed certificate is served without a restart. Each TLS
/// handshake takes the pair current at that moment (through NIOSSL's context callback);
/// connections already open keep theirs.
public final class TLSCertificates: Sendable {
    public struct Files: Sendable, Equatable {
        /// PEM: the server's certificate first, then any intermediates.
        public var certificate: String
        public var key: String

        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    private struct Pair: Sendable {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
    }

    public let files: Files
    private let current: Mutex<Pair>

    /// Reads the files; throws (and the server does not start) if they do not hold a chain and
    /// its key.
    public init(files: Files) throws {
        self.files = files
        current = Mutex(try Self.read(files))
    }

    /// Reads the files again. On any error the pair in use stays, and the error says why.
    public func reload() throws {
        let pair = try Self.read(files)
        current.withLock { $0 = pair }
    }

    /// A server configuration whose every handshake uses the current pair; HTTP/2 and
    /// HTTP/1.1 are offered by ALPN (the server builder sets the protocols).
    func serverConfiguration() -> TLSConfiguration {
        let pair = current.withLock { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: pair.chain.map { .certificate($0) }, privateKey: .privateKey(pair.key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.sslContextCallback = { [self] _, promise in
            let pair = current.withLock { $0 }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = pair.chain.map { .certificate($0) }
            override.privateKey = .privateKey(pair.key)
            promise.succeed(override)
        }
        return configuration
    }

    private static func read(_ files: Files) throws -> Pair {
        let chain = try NIOSSLCertificate.fromPEMFile(files.certificate)
        guard !chain.isEmpty else { throw TLSFileError(path: files.certificate, reason: "holds no PEM certificate") }
        let key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        // A key that is not the certificate's would fail every handshake: building a context
        // checks the pair (BoringSSL's key-values check), so a mismatch is refused here.
        do {
            _ = try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
        } catch {
            throw TLSFileError(path: files.key, reason: "does not go with the certificate in \(files.certificate): \(error)")
        }
        return Pair(chain: chain, key: key)
    }

    struct TLSFileError: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "\(path) \(reason)" }
    }
}
