@testable import BlobStore
import Testing

/// The deletion list's format (docs/FORMAT.md, "Deletion list"): what is written reads back, and
/// a damaged list is refused rather than trusted.
@Suite("Deletion list")
struct DeletionListTests {
    let list = DeletionList(records: [
        RecordPlace(packID: 9, offset: 32): Digest.of([1]),
        RecordPlace(packID: 2, offset: 1000): Digest.of([2], algorithm: .sha512),
        RecordPlace(packID: 2, offset: 32): Digest.of([3]),
    ])

    @Test func recordsReadBackByPlace() throws {
        let bytes = list.encoded()
        #expect(bytes.count == 24 + 88 * 3)
        let read = try DeletionList(decoding: bytes, path: "deleted")
        #expect(read == list)
        #expect(read.contains(RecordPlace(packID: 2, offset: 1000)) && !read.contains(RecordPlace(packID: 2, offset: 1001)))
        #expect(read.keeping(packs: [9]).packIDs == [9] && read.dropping(packs: [9]).packIDs == [2])
    }

    @Test func aDamagedListIsRefused() {
        var bytes = list.encoded()
        bytes[40] ^= 1
        #expect(throws: BlobStoreError.self) { try DeletionList(decoding: bytes, path: "deleted") }
        #expect(throws: BlobStoreError.self) { try DeletionList(decoding: Array(list.encoded().prefix(100)), path: "deleted") }
    }
}
