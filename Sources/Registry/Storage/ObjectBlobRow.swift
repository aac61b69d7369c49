import BlobStore

/// A blob of the cluster store: in an object, or (small) in the row itself, with its block
/// checksums.
struct ObjectBlobRow: Sendable {
    let digest: Digest
    let size: UInt64
    /// The object's key (`blobs/<upload id>`), or nil for a blob kept inline.
    let object: String?
    let inline: [UInt8]?
    let checksums: BlockChecksums

    var info: BlobInfo { BlobInfo(digest: digest, size: size) }

    /// What the row costs in a cache: its bytes and block table.
    var cost: Int { (inline?.count ?? 0) + checksums.values.count * 8 + 160 }
}
