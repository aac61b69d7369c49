/// The registry's own settings (the engine's are in `BlobStoreOptions`).
public struct RegistryOptions: Sendable {
    /// Accept manifests that reference non-distributable (foreign) layers.
    public var allowForeignLayers = false
    /// Page size of tag and catalog listings when the client does not ask for one.
    public var defaultPageSize = 1000
    /// Largest page a client may ask for.
    public var maximumPageSize = 10_000
    /// Garbage collection, and the restore window of deleted packages and versions.
    public var collection = CollectionSettings()
    /// Count manifest pulls for the pages and the management API (`PullCounter`).
    public var countPulls = true

    public init() {}
}
