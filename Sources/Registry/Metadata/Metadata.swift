/// The registry's metadata: one store per area, all over one `Database` (SQLite for one node,
/// PostgreSQL for several). The stores' statements are written once, in the dialect both accept
/// (Database.swift); the policy above them lives in services (`AccountService`,
/// `UploadService`, `ManifestPublisher`).
public struct Metadata: Sendable {
    public let database: any Database
    public let manifests: ManifestStore
    public let blobLinks: BlobLinkStore
    public let uploads: UploadStore
    public let accounts: AccountStore
    public let packages: PackageStore
    /// The package pages' reads.
    public let catalog: PackageCatalog
    public let collection: CollectionStore
    public let integrity: IntegrityStore
    public let signingKeys: SigningKeyStore

    public init(database: any Database) {
        self.database = database
        manifests = ManifestStore(database: database)
        blobLinks = BlobLinkStore(database: database)
        uploads = UploadStore(database: database)
        accounts = AccountStore(database: database)
        packages = PackageStore(database: database)
        catalog = PackageCatalog(database: database)
        collection = CollectionStore(database: database)
        integrity = IntegrityStore(database: database)
        signingKeys = SigningKeyStore(database: database)
    }

    /// Whether the database answers a query now (readiness).
    public func isReachable() async -> Bool {
        (try? await database.read { try await $0.run("SELECT 1") }) != nil
    }
}
