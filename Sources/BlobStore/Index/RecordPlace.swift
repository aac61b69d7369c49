/// Where a record stands: its pack and the offset of its header. Two records of one blob are two
/// places, so it is the place, never the digest, that says which copy is dead.
struct RecordPlace: Hashable, Sendable, Comparable {
    let packID: UInt64
    let offset: UInt64

    static func < (lhs: RecordPlace, rhs: RecordPlace) -> Bool {
        (lhs.packID, lhs.offset) < (rhs.packID, rhs.offset)
    }
}

extension BlobLocation {
    var place: RecordPlace { RecordPlace(packID: packID, offset: offset) }
}
