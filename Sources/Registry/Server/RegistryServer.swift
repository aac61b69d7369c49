import BlobStore
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import CStowageSystem
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore

/// The running registry: opens the data directory, serves HTTP until SIGTERM or SIGINT, then
/// finishes in-flight requests and closes the store (uploads stay resumable on disk).
public struct RegistryServer: Sendable {
    public struct Configuration: Sendable {
        public static let defaultDataDirectory = "./stowage-data"
        public var dataDirectory: String = Self.defaultDataDirectory

        /// Where the metadata database and the token signing keys of a data directory live; the
        /// admin commands open the same files.
        public static func metadataPath(in directory: String) -> String { directory + "/metadata.db" }
        public static func authDirectory(in directory: String) -> String { directory + "/auth" }
        /// The PostgreSQL database (`postgres://USER:PASSWORD@HOST:PORT/DATABASE`) that holds
        /// the metadata instead of the data directory's SQLite file: what several nodes share.
        public var metadataURL: String?
        public var host: String = "127.0.0.1"
        public var port: Int = 5000
        public var store = BlobStoreOptions()
        /// A bucket for the blobs instead of the data directory's packs: cluster mode.
        public var objectStorage = ObjectStorageSettings()
        public var registry = RegistryOptions()
        public var auth = AuthSettings()
        /// nil: `none` on a loopback address, `token` anywhere else.
        public var authMode: AuthSettings.Mode?
        /// Allows `none` on an address other than loopback.
        public var forceNoAuth = false
        /// The URL clients reach the registry at (`https://registry.example.com`), when it is
        /// not the address it listens on: behind a proxy, or under another name. Bearer
        /// challenges send clients to its `/token`.
        public var publicURL: String?
        /// Timeouts and a per-address cap against clients that hold connections.
        public var connections = ConnectionLimits()
        /// The certificate and key files; with them the server speaks only TLS (HTTP/2 and
        /// HTTP/1.1 by ALPN).
        public var tls: TLSCertificates.Files?
        /// Reverse proxies whose `X-Forwarded-*` headers are believed.
        public var trustedProxies = TrustedProxies.none
        /// The access log's format; `stowage serve` logs text lines by default.
        public var accessLog = AccessLog.Format.off

        public init() {}

        /// `HOST:PORT` as a URL writes it (brackets around an IPv6 address).
        public var listenAuthority: String {
            host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }

        public var isLoopback: Bool {
            host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }

        /// The mode in force, or an error if `none` was asked for where it is not allowed.
        public func resolvedAuthMode() throws -> AuthSettings.Mode {
            let mode = authMode ?? (isLoopback ? .none : .token)
            if mode == .none && !isLoopback && !forceNoAuth {
                throw RegistryError(
                    .internalServerError, .unsupported,
                    "auth mode none on \(host) would let anyone push and delete; use --auth token, or force it with --insecure-no-auth")
            }
            return mode
        }
    }

    public let configuration: Configuration
    public let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The blob storage and metadata: the data directory's packs and SQLite database (or a
    /// PostgreSQL one), or in cluster mode the bucket and PostgreSQL.
    public func openService() async throws -> RegistryService {
        let location = try MetadataLocation(url: configuration.metadataURL, dataDirectory: configuration.dataDirectory)
        if configuration.objectStorage.isConfigured {
            guard case .postgres = location else { throw ObjectStorageSettingsError.needsPostgreSQL }
            let database = try await location.open(logger: logger)
            let metrics = RegistryMetrics()
            let store = try ObjectBlobStore(
                settings: configuration.objectStorage, database: database, maxBlobSize: configuration.store.maxBlobSize, metrics: metrics)
            do {
                return try await RegistryService.open(
                    store: store, database: database, options: configuration.registry, metrics: metrics, logger: logger)
            } catch {
                try? await store.close()
                throw error
            }
        }
        let store: any BlobStorage = try await BlobStore.open(at: configuration.dataDirectory, options: configuration.store)
        do {
            let database = try await location.open(logger: logger)
            return try await RegistryService.open(
                store: store, database: database, options: configuration.registry,
                legacyKeyDirectory: Configuration.authDirectory(in: configuration.dataDirectory), logger: logger)
        } catch {
            try await store.close()
            throw error
        }
    }

    /// The HTTP application over `service`; `onListening` gets the bound address (port 0 picks
    /// a free one).
    /// - Parameters:
    ///   - accessLog: where request lines go; one of `configuration.accessLog`'s format (on
    ///     standard output) when not given. The caller closes it.
    ///   - certificates: the TLS certificates when `configuration.tls` is set; read from its
    ///     files when not given. The caller reloads them.
    public func application(
        _ service: RegistryService, accessLog: AccessLog? = nil, certificates: TLSCertificates? = nil,
        onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in }
    ) throws -> some ApplicationProtocol {
        let accessLog = accessLog ?? AccessLog(format: configuration.accessLog)
        let certificates = try certificates ?? configuration.tls.map(TLSCertificates.init(files:))
        let realm = TokenRealm(
            publicURL: configuration.publicURL, listenAuthority: configuration.listenAuthority, secure: certificates != nil)
        var authenticator: Authenticator?
        if try configuration.resolvedAuthMode() == .token {
            authenticator = Authenticator(
                accounts: service.accounts, settings: configuration.auth, keys: service.signingKeys, realm: realm, logger: logger)
        }
        let limits = configuration.connections
        let counter = ConnectionCounter(limit: limits.perAddress)
        let server: HTTPServerBuilder
        if let certificates {
            // Over TLS the HTTP handlers run per HTTP/2 stream (or HTTP/1.1 connection): the
            // connection is counted, and its handshake timed, by a guard of its own. Larger
            // socket reads buy nothing under TLS records of 16 KiB (and a stream refuses them).
            let streams = HTTP1Channel.Configuration(additionalChannelHandlers: [
                ExpectContinueHandler(), ConnectionGuard(limits: limits, counter: ConnectionCounter(limit: 0)),
            ])
            let tls = certificates.serverConfiguration()
            server = HTTPServerBuilder { responder in
                TLSGuardedChannel(
                    base: try HTTP2UpgradeChannel(tlsConfiguration: tls, configuration: .init(streamConfiguration: streams), responder: responder),
                    limits: limits, counter: counter)
            }
        } else {
            server = .http1(configuration: .init(additionalChannelHandlers: [
                LargeReadsHandler(), ExpectContinueHandler(), ConnectionGuard(limits: limits, counter: counter),
            ]))
        }
        return Application(
            responder: RegistryResponder(
                registry: service, authenticator: authenticator, metricsAccess: configuration.auth.metricsAccess,
                proxies: configuration.trustedProxies, accessLog: accessLog,
                web: WebRoutes(registry: service, authenticator: authenticator, origin: realm, service: configuration.auth.service)),
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                let address = channel.localAddress
                await onListening(address?.ipAddress ?? configuration.host, address?.port ?? configuration.port)
            },
            logger: logger
        )
    }

    /// Serves until a termination signal, then shuts down cleanly. `announce` receives lines for
    /// the operator (the first admin's token on a fresh install, the auth mode).
    public func run(
        announce: @escaping @Sendable (String) -> Void, onListening: @escaping @Sendable (String, Int) async -> Void
    ) async throws {
        let mode = try configuration.resolvedAuthMode()
        // Blob bodies go out, and pushes come in, in buffers of up to 1 MiB, allocated and freed
        // on every block. glibc would give each of them fresh pages from mmap (or trim them off
        // its heap once freed), and on a VM every fresh page costs a fault and a clear: over a
        // fifth of the CPU time of a pull. Keeping up to 32 MiB of free heap per arena reuses
        // them instead.
        _ = stowage_keep_heap_memory(8 << 20, 32 << 20)
        // Bad certificate files stop the start, before the store is opened.
        let certificates = try configuration.tls.map(TLSCertificates.init(files:))
        let hangUp = Self.reloadOnHangUp(certificates, logger: logger)
        defer { hangUp.cancel() }
        let service = try await openService()
        do {
            if mode == .none {
                announce("stowage: authentication is OFF (auth mode none): anyone who can connect may push, pull and delete")
            } else if let (user, token) = try await service.metadata.accounts.bootstrapIfEmpty() {
                announce("""
                    stowage: created the first administrator '\(user)'. Its personal access token, shown only this once:
                    \(token)
                    Log in with: echo TOKEN | docker login HOST -u \(user) --password-stdin
                    """)
            }
            // Scheduled collection stops with the server, and a run in progress ends at its next
            // phase, before the store closes.
            let collection = Task { await service.collector.schedule() }
            let pullCounts = Task { [logger] in await service.pulls.schedule(every: .seconds(5), logger: logger) }
            var failure: (any Error)?
            let accessLog = AccessLog(format: configuration.accessLog)
            do {
                try await application(service, accessLog: accessLog, certificates: certificates, onListening: onListening).runService()
            } catch {
                failure = error
            }
            accessLog.close()
            collection.cancel()
            pullCounts.cancel()
            await collection.value
            await pullCounts.value
            if let failure { throw failure }
        } catch {
            try await service.store.close()
            throw error
        }
        try await service.store.close()
    }

    /// SIGHUP reads the certificate files again (the way to pick up a renewed certificate
    /// without a restart); a failed read is logged and the certificate in use stays. Without
    /// TLS, SIGHUP is ignored rather than left to end the process.
    private static func reloadOnHangUp(_ certificates: TLSCertificates?, logger: Logger) -> any DispatchSourceSignal {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler {
            guard let certificates else {
                logger.notice("SIGHUP: no TLS certificate to reload")
                return
            }
            do {
                try certificates.reload()
                logger.notice("SIGHUP: TLS certificate reloaded", metadata: ["certificate": "\(certificates.files.certificate)"])
            } catch {
                logger.error("SIGHUP: TLS certificate not reloaded; the one in use stays", metadata: ["error": "\(error)"])
            }
        }
        source.resume()
        return source
    }
}
