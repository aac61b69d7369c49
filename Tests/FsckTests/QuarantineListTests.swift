@testable import BlobStore
import Testing

/// The quarantine list's format (docs/FORMAT.md, "Quarantine list"): what is written reads back,
/// and a damaged list is refused rather than trusted.
@Suite("Quarantine list")
struct QuarantineListTests {
    let list = QuarantineList(entries: [
        .init(packID: 9, offset: 32, length: 4096, reason: .truncated, wholePack: true, digest: Digest.of([1])),
        .init(packID: 2, offset: 1000, length: 200, reason: .framing, wholePack: false, digest: nil),
        .init(packID: 2, offset: 32, length: 300, reason: .digestMismatch, wholePack: false,
              digest: Digest.of([2], algorithm: .sha512)),
    ])

    @Test func entriesReadBackSortedByPackAndOffset() throws {
        let read = try QuarantineList(decoding: list.encoded(), path: "quarantine")
        #expect(read == list)
        #expect(read.entries.map { [$0.packID, $0.offset] } == [[2, 32], [2, 1000], [9, 32]])
        #expect(read.contains(packID: 2, offset: 1000) && !read.contains(packID: 2, offset: 1001))
        #expect(read.holdsWholePack(9) && !read.holdsWholePack(2))
        #expect(list.encoded().count == 20 + 96 * 3)
    }

    @Test func aDamagedListIsRefused() {
        var bytes = list.encoded()
        bytes[40] ^= 1
        #expect(throws: BlobStoreError.self) { try QuarantineList(decoding: bytes, path: "quarantine") }
        #expect(throws: BlobStoreError.self) { try QuarantineList(decoding: Array(bytes.prefix(30)), path: "quarantine") }
    }

    @Test func aNewerEntryForTheSameRecordReplacesTheOlder() {
        let updated = list.adding([.init(packID: 2, offset: 32, length: 300, reason: .payloadChecksum, wholePack: false, digest: nil)])
        #expect(updated.entries.count == 3)
        #expect(updated.entries.first?.reason == .payloadChecksum)
        #expect(updated.keeping(packs: [9]).entries.map(\.packID) == [9])
    }
}
