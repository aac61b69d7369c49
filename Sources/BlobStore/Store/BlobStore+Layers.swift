/// Reading through a stored layer's compression: the image config's `rootfs.diff_ids` name
/// layers by the digest of their uncompressed tar. Done on demand (fsck, a background check),
/// never on the push path.
extension BlobStore {
    /// The SHA-256 and size of the blob's uncompressed stream (gzip, zstd, or the blob itself
    /// when it is not compressed), every stored block verified on the way.
    public func uncompressedDigest(of digest: Digest) async throws -> (diffID: Digest, size: UInt64) {
        var digester = LayerDigester()
        try await read(digest) { try digester.update($0) }
        return try digester.finish()
    }
}
