import BlobStore

/// One thing wrong in a cluster store, as `stowage-fsck` reports it.
public struct ObjectStoreFinding: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// A row names an object the bucket does not have: the blob is lost.
        case objectMissing = "object-missing"
        /// The object's size is not the blob's.
        case objectWrongSize = "object-wrong-size"
        /// The object's sidecar is missing or does not match its row.
        case sidecarBad = "sidecar-bad"
        /// A block failed its checksum (scrub), or the bytes hash to another digest (verify).
        case blobCorrupt = "blob-corrupt"
        /// An object no row names: what a crash between a finish and its row leaves.
        case objectUnreferenced = "object-unreferenced"
        /// A multipart upload no upload names: its parts hold space until it is aborted.
        case multipartAbandoned = "multipart-abandoned"
    }

    public let kind: Kind
    public let digest: String?
    public let key: String?
    public let detail: String

    public var description: String {
        "\(kind.rawValue): \([digest, key].compactMap { $0 }.joined(separator: " ")): \(detail)"
    }
}
