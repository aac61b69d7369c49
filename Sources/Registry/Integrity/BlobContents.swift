import BlobStore

/// The blobs a store check found good, as the references check reads them: the engine's packs
/// (`StoreContents`) or the cluster's bucket and rows (`ObjectStoreContents`).
public protocol BlobContents: Sendable {
    func contains(_ digest: Digest) -> Bool
    /// The whole blob in memory; for manifests and configs.
    func bytes(of digest: Digest) async throws -> [UInt8]
    /// The SHA-256 of the blob's uncompressed stream: a layer's diff_id.
    func uncompressedDigest(of digest: Digest) async throws -> Digest
}

extension StoreContents: BlobContents {}
