/// One thing wrong with a data directory, precise enough to act on: what, in which file, at which
/// offset, for which blob.
public struct StoreFinding: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case packHeader = "pack-header"
        case recordHeader = "record-header"
        case blockTable = "block-table"
        case payloadChecksum = "payload-checksum"
        case digestMismatch = "digest-mismatch"
        case undecodable = "payload-undecodable"
        case truncatedPack = "truncated-pack"
        case tornTail = "torn-tail"
        case bytesAfterSeal = "bytes-after-seal"
        case missingPack = "missing-pack"
        case indexMissing = "index-missing"
        case indexDamaged = "index-damaged"
        case entryPastEnd = "entry-past-end"
        case entryMismatch = "entry-mismatch"
        case entryOverlap = "entry-overlap"
        case unindexedRecord = "unindexed-record"
        case quarantineDamaged = "quarantine-damaged"
        case deletionListDamaged = "deletion-list-damaged"
        case uploadState = "upload-state"
        case unreadable = "unreadable"
    }

    public var kind: Kind
    /// The file, relative to the data directory: `packs/pack-….pack`, `index/current.idx`.
    public var path: String
    public var packID: UInt64?
    public var offset: UInt64?
    public var digest: Digest?
    public var message: String

    public init(kind: Kind, path: String, packID: UInt64? = nil, offset: UInt64? = nil, digest: Digest? = nil, message: String) {
        self.kind = kind
        self.path = path
        self.packID = packID
        self.offset = offset
        self.digest = digest
        self.message = message
    }

    public var description: String {
        var text = path
        if let offset { text += " at offset \(offset)" }
        text += ": \(message)"
        if let digest { text += " (\(digest))" }
        return text
    }
}
