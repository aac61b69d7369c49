import BlobStore
import Hummingbird
import Logging
import NIOCore

/// The running registry: opens the data directory, serves HTTP until SIGTERM or SIGINT, then
/// finishes in-flight requests and closes the store (uploads stay resumable on disk).
public struct RegistryServer: Sendable {
    public struct Configuration: Sendable {
        public var dataDirectory: String = "./stowage-data"
        public var host: String = "127.0.0.1"
        public var port: Int = 5000
        public var store = BlobStoreOptions()
        public var registry = RegistryOptions()

        public init() {}
    }

    public let configuration: Configuration
    public let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The blob store and metadata for the configured data directory.
    public func openService() async throws -> RegistryService {
        let store = try await BlobStore.open(at: configuration.dataDirectory, options: configuration.store)
        do {
            let metadata = try SQLiteMetadataStore(path: configuration.dataDirectory + "/metadata.db")
            return RegistryService(store: store, metadata: metadata, options: configuration.registry)
        } catch {
            try await store.close()
            throw error
        }
    }

    /// The HTTP application over `service`; `onListening` gets the bound address (port 0 picks
    /// a free one).
    public func application(
        _ service: RegistryService, onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in }
    ) -> some ApplicationProtocol {
        Application(
            responder: RegistryResponder(registry: service),
            server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()])),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                let address = channel.localAddress
                await onListening(address?.ipAddress ?? configuration.host, address?.port ?? configuration.port)
            },
            logger: logger
        )
    }

    /// Serves until a termination signal, then shuts down cleanly.
    public func run(onListening: @escaping @Sendable (String, Int) async -> Void) async throws {
        let service = try await openService()
        do {
            try await application(service, onListening: onListening).runService()
        } catch {
            try await service.store.close()
            throw error
        }
        try await service.store.close()
    }
}
