import ObjectStore

/// `storage.s3.*` and `storage.redirect`: blobs in an S3-compatible bucket shared by the nodes of
/// a cluster (docs/FORMAT.md, "Cluster store"). Filled in setting by setting (YAML, environment,
/// flags); `s3Settings()` says what is missing.
public struct ObjectStorageSettings: Sendable {
    public var endpoint: S3Endpoint?
    public var bucket: String?
    public var region = "us-east-1"
    public var prefix = ""
    public var accessKeyID: String?
    public var secretAccessKey: String?
    /// Blob GETs answer 307 with a presigned URL of the object instead of streaming it.
    public var redirect = false
    /// How long a presigned URL stays valid, in seconds.
    public var redirectExpiry = 300
    /// A blob under this many bytes that ends with no part sent is kept in its row in PostgreSQL:
    /// a small push costs no object-store round trip.
    public var inlineLimit = 1 << 20
    /// Bytes per multipart part while a blob streams in: whole MiB, at least S3's 5 MiB floor.
    public var partSize = 16 << 20
    /// Parts of one upload on their way to the store at once: a node holds up to
    /// `partSize × (partsInFlight + 1)` bytes of an upload.
    public var partsInFlight = 2
    /// Memory for index rows and small blobs kept by this node, in bytes.
    public var cacheBudget = 64 << 20

    public init() {}

    /// Whether the blobs go to a bucket (cluster mode) rather than the data directory's packs.
    public var isConfigured: Bool { endpoint != nil || bucket != nil }

    /// The client's settings, or what is missing for them.
    public func s3Settings() throws(ObjectStorageSettingsError) -> S3Settings {
        guard let endpoint else { throw .missing("storage.s3.endpoint (STOWAGE_STORAGE_S3_ENDPOINT)") }
        guard let bucket, !bucket.isEmpty else { throw .missing("storage.s3.bucket (STOWAGE_STORAGE_S3_BUCKET)") }
        guard let accessKeyID, !accessKeyID.isEmpty, let secretAccessKey, !secretAccessKey.isEmpty else {
            throw .missing("credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or storage.s3.access_key and storage.s3.secret_key")
        }
        return S3Settings(
            endpoint: endpoint, bucket: bucket, region: region, prefix: prefix,
            credentials: S3Credentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey))
    }
}

public enum ObjectStorageSettingsError: Error, CustomStringConvertible {
    case missing(String)
    case needsPostgreSQL

    public var description: String {
        switch self {
        case .missing(let what): "storage.s3 is incomplete: it needs \(what)"
        case .needsPostgreSQL:
            "storage.s3 needs the metadata in PostgreSQL (metadata.url postgres://…): the blobs' index and uploads live there, shared by every node"
        }
    }
}
