import BlobStore
import Logging
import NIOCore

/// What every route works on: the blob store, the metadata, the settings, garbage collection.
public final class RegistryService: Sendable {
    /// The engine on this node's disk, or the object store of a cluster.
    public let store: any BlobStorage
    public let metadata: Metadata
    /// Credentials and access decisions over `metadata.accounts`.
    public let accounts: AccountService
    public let options: RegistryOptions
    public let metrics: RegistryMetrics
    let logger: Logger
    let manifests = ManifestCache(budget: 16 << 20)
    let liveness: BlobLiveness
    public let collector: GarbageCollector
    /// Uploads across the engine and the metadata.
    let uploads: UploadService
    /// Manifest PUTs across the engine and the metadata.
    let publisher: ManifestPublisher
    /// The keys that sign and verify registry tokens, shared through the database.
    public let signingKeys: SigningKeyring
    /// Manifest pulls, counted in memory and written every few seconds.
    public let pulls: PullCounter

    /// Loads garbage collection's condemned blobs before anything can touch one, and the token
    /// signing keys (taking over those of `legacyKeyDirectory` the first time; SigningKeyStore).
    public static func open(
        store: any BlobStorage, database: any Database, options: RegistryOptions = .init(), legacyKeyDirectory: String? = nil,
        metrics: RegistryMetrics = RegistryMetrics(), logger: Logger
    ) async throws -> RegistryService {
        let metadata = Metadata(database: database)
        let keys = SigningKeyring(
            store: metadata.signingKeys, keys: try await metadata.signingKeys.load(importing: legacyKeyDirectory), now: UnixTime.now())
        return RegistryService(
            store: store, metadata: metadata, options: options, condemned: Set(try await metadata.collection.condemnedBlobs().keys),
            signingKeys: keys, metrics: metrics, logger: logger)
    }

    private init(
        store: any BlobStorage, metadata: Metadata, options: RegistryOptions, condemned: Set<Digest>, signingKeys: SigningKeyring,
        metrics: RegistryMetrics, logger: Logger
    ) {
        self.signingKeys = signingKeys
        self.metrics = metrics
        self.store = store
        self.metadata = metadata
        self.accounts = AccountService(store: metadata.accounts)
        pulls = PullCounter(database: metadata.database)
        self.options = options
        self.logger = logger
        let liveness = BlobLiveness(
            metadata: metadata.collection, condemned: condemned, shared: metadata.database.dialect == .postgres)
        self.liveness = liveness
        uploads = UploadService(store: store, uploads: metadata.uploads, blobLinks: metadata.blobLinks, liveness: liveness)
        publisher = ManifestPublisher(store: store, manifests: metadata.manifests, liveness: liveness, options: options)
        self.collector = GarbageCollector(
            store: store, metadata: metadata, liveness: liveness, settings: options.collection, metrics: metrics, logger: logger)
    }

    /// The blob, if it is linked into `repository` and present in the store: knowing a digest
    /// never lets a client read another repository's data. Touches it first, so that a blob
    /// garbage collection condemned is revived before it is acknowledged.
    func linkedBlob(_ digest: Digest, in repository: RepositoryName) async throws -> BlobInfo? {
        if liveness.isShared {
            // One round trip for the usual case, a blob that nothing condemned.
            let state = try await metadata.blobLinks.linkState(digest, in: repository)
            if !state.condemned { return state.linked ? try await store.stat(digest) : nil }
        }
        try await liveness.touch([digest])
        guard try await metadata.blobLinks.isBlobLinked(digest, in: repository) else { return nil }
        return try await store.stat(digest)
    }

    /// A stored manifest's bytes, as a GET sends them.
    func manifestBytes(_ digest: Digest) async throws -> ByteBuffer {
        if let cached = manifests[digest] { return cached }
        let buffer = ByteBuffer(bytes: try await store.bytes(of: digest))
        manifests.insert(buffer, for: digest)
        return buffer
    }

    /// A page size from `?n=`: absent means the default, 0 is allowed (an empty page).
    func pageSize(_ value: String?) throws -> Int {
        guard let value else { return options.defaultPageSize }
        guard let size = Int(value), size >= 0 else {
            throw RegistryError(.badRequest, .unsupported, "n must be a non-negative integer")
        }
        return Swift.min(size, options.maximumPageSize)
    }
}
