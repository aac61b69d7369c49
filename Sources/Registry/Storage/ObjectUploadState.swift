import BlobStore
import ObjectStore

/// An upload of the cluster store as its row in `object_uploads` keeps it: every node may take
/// its next request from here (docs/FORMAT.md, "Cluster store").
struct ObjectUploadState: Sendable {
    let id: String
    let algorithm: DigestAlgorithm
    let created: UInt64
    /// Bytes taken, the tail's included.
    var received: UInt64
    /// The digest's hash state at `received`.
    var hashState: [UInt8]
    /// The S3 multipart upload, once a part was sent.
    var multipart: String?
    var parts: [S3Part]
    /// Of the blocks in the parts sent, which are whole MiB.
    var checksums: BlockChecksums
    /// Bytes received after the parts: fewer than the 5 MiB a part needs, or not yet sent.
    var tail: [UInt8]

    /// The key the blob will have in the bucket.
    var object: String { Self.objectKey(id) }

    static func objectKey(_ id: String) -> String { "blobs/\(id)" }

    static func begin(id: String, algorithm: DigestAlgorithm, created: UInt64) -> ObjectUploadState {
        ObjectUploadState(
            id: id, algorithm: algorithm, created: created, received: 0, hashState: DigestHasher(algorithm: algorithm).exportState(),
            multipart: nil, parts: [], checksums: BlockChecksums(), tail: [])
    }

    /// `parts` as the row keeps them: `<number> <etag>` lines.
    var encodedParts: String {
        parts.map { "\($0.number) \($0.etag)\n" }.joined()
    }

    static func decodeParts(_ text: String) throws(MetadataError) -> [S3Part] {
        var parts: [S3Part] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1)
            guard fields.count == 2, let number = Int(fields[0]), number == parts.count + 1 else {
                throw .corruptValue("object_uploads.parts line '\(line)'")
            }
            parts.append(S3Part(number: number, etag: String(fields[1])))
        }
        return parts
    }
}
