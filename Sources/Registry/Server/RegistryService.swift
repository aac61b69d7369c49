import BlobStore

/// What every route works on: the blob store, the metadata, the settings.
public final class RegistryService: Sendable {
    public let store: BlobStore
    public let metadata: any MetadataStore
    public let accounts: any AccountStore
    public let options: RegistryOptions
    public let metrics = RegistryMetrics()

    public init(store: BlobStore, metadata: any MetadataStore & AccountStore, options: RegistryOptions = .init()) {
        self.store = store
        self.metadata = metadata
        self.accounts = metadata
        self.options = options
    }

    /// The blob, if it is linked into `repository` and present in the store: knowing a digest
    /// never lets a client read another repository's data.
    func linkedBlob(_ digest: Digest, in repository: RepositoryName) async throws -> BlobInfo? {
        guard try await metadata.isBlobLinked(digest, in: repository) else { return nil }
        return store.stat(digest)
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
