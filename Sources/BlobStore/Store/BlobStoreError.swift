/// Everything the engine can fail with. The registry maps these to OCI error codes in one place.
public enum BlobStoreError: Error, Sendable, CustomStringConvertible {
    /// A system call failed; `code` is errno.
    case io(operation: String, path: String, code: Int32)
    /// Another process owns the data directory.
    case locked(path: String, holder: String)
    case blobUnknown(Digest)
    case uploadUnknown(String)
    /// A chunk did not start where the upload stands.
    case uploadOutOfOrder(id: String, expected: UInt64, received: UInt64)
    /// Another request is writing to the same upload.
    case uploadBusy(String)
    case digestMismatch(expected: Digest, actual: Digest)
    /// The blob is larger than the configured limit.
    case tooLarge(limit: UInt64)
    /// A byte range outside the blob.
    case rangeNotSatisfiable(size: UInt64)
    /// Stored bytes failed their checksum: the blob is not served.
    case integrity(digest: Digest?, reason: String)
    /// The store on disk is damaged in a way opening must not paper over.
    case damaged(path: String, reason: String)
    /// A hash state or upload state file was refused.
    case state(path: String, reason: String)
    /// An fdatasync failed; the pack it was for is retired and the write is not acknowledged.
    case syncFailed(path: String, code: Int32)
    case codec(CodecError)
    /// The store was closed.
    case closed

    var isDigestMismatch: Bool {
        if case .digestMismatch = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .io(let operation, let path, let code):
            "\(operation) \(path): \(Errno.message(code))"
        case .locked(let path, let holder):
            "data directory \(path) is in use by another process (\(holder))"
        case .blobUnknown(let digest):
            "blob \(digest) is not in the store"
        case .uploadUnknown(let id):
            "upload \(id) does not exist"
        case .uploadOutOfOrder(let id, let expected, let received):
            "upload \(id) stands at offset \(expected); a chunk starting at \(received) is out of order"
        case .uploadBusy(let id):
            "upload \(id) is being written by another request"
        case .digestMismatch(let expected, let actual):
            "content digest \(actual) does not match the expected digest \(expected)"
        case .tooLarge(let limit):
            "blob exceeds the size limit of \(limit) bytes"
        case .rangeNotSatisfiable(let size):
            "range is outside the blob of \(size) bytes"
        case .integrity(let digest, let reason):
            "integrity check failed\(digest.map { " for \($0)" } ?? ""): \(reason)"
        case .damaged(let path, let reason):
            "store is damaged at \(path): \(reason); run stowage-fsck"
        case .state(let path, let reason):
            "state file \(path) is unusable: \(reason)"
        case .syncFailed(let path, let code):
            "fdatasync \(path) failed: \(Errno.message(code)); the write was not acknowledged"
        case .codec(let error):
            error.description
        case .closed:
            "the blob store is closed"
        }
    }
}
