@testable import BlobStore
import Testing

@Suite("Live index")
struct LiveIndexTests {
    private func location(pack: UInt64, offset: UInt64) -> BlobLocation {
        BlobLocation(packID: pack, offset: offset, storedLength: 10, logicalLength: 10, codec: .verbatim)
    }

    /// Publishes `publication` as the publisher does, without a file on disk.
    private func publish(_ publication: LiveIndex.Publication, to index: LiveIndex) throws {
        index.didPublish(try IndexFile(path: "current.idx", bytes: publication.encoded()), publication)
    }

    /// A blob removed while a publication that took it along is being written must not come
    /// back when that publication lands, nor in the next one.
    @Test func aBlobRemovedDuringAPublicationStaysRemoved() throws {
        let index = LiveIndex(published: nil)
        let removed = Digest.of(Array("removed".utf8)), kept = Digest.of(Array("kept".utf8))
        index.markOpen(1)
        _ = index.insert(removed, location(pack: 1, offset: 64))
        _ = index.insert(kept, location(pack: 1, offset: 128))
        index.markClosed(1)

        let underWay = index.nextPublication()
        #expect(underWay.merged[removed] != nil)
        #expect(index.remove(removed) != nil)
        try publish(underWay, to: index)

        #expect(index.lookup(removed) == nil)
        #expect(!index.entries().contains { $0.0 == removed })
        try publish(index.nextPublication(), to: index)
        #expect(index.lookup(removed) == nil)
        #expect(index.lookup(kept) == location(pack: 1, offset: 128))
        #expect(index.entries().map(\.0) == [kept])
    }

    /// A blob removed, stored again and removed again between two publications stays removed:
    /// dead records are known by place, so the second removal cannot revive the first record.
    @Test func aBlobRemovedTwiceBetweenPublicationsStaysRemoved() throws {
        let index = LiveIndex(published: nil)
        let digest = Digest.of(Array("twice".utf8))
        index.markOpen(1)
        _ = index.insert(digest, location(pack: 1, offset: 64))
        index.markClosed(1)
        try publish(index.nextPublication(), to: index)

        #expect(index.remove(digest) == location(pack: 1, offset: 64))
        index.markOpen(2)
        _ = index.insert(digest, location(pack: 2, offset: 64))
        #expect(index.remove(digest) == location(pack: 2, offset: 64))
        #expect(index.lookup(digest) == nil)
        index.markClosed(2)
        try publish(index.nextPublication(), to: index)
        #expect(index.lookup(digest) == nil)
        #expect(index.entries().isEmpty)
    }

    /// A second record of an indexed blob is dead from the start: the next publication names it
    /// for the deletion list with the records removed.
    @Test func aSecondCopyOfABlobIsDeadFromTheStart() throws {
        let index = LiveIndex(published: nil)
        let digest = Digest.of(Array("copied".utf8))
        index.markOpen(1)
        #expect(index.insert(digest, location(pack: 1, offset: 64)) == location(pack: 1, offset: 64))
        #expect(index.insert(digest, location(pack: 1, offset: 200)) == location(pack: 1, offset: 64))
        #expect(index.remove(digest) != nil)
        index.markClosed(1)
        let publication = index.nextPublication()
        #expect(Set(publication.dead.keys) == [location(pack: 1, offset: 64).place, location(pack: 1, offset: 200).place])
    }

    /// The same for a record compaction moved while a publication took its old place along:
    /// one entry, at the copy, in the file and in lookups.
    @Test func aRecordMovedDuringAPublicationIsPublishedOnceAtItsCopy() throws {
        let index = LiveIndex(published: nil)
        let digest = Digest.of(Array("moved".utf8))
        let old = location(pack: 1, offset: 64), copy = location(pack: 2, offset: 64)
        index.markOpen(1)
        _ = index.insert(digest, old)
        index.markClosed(1)

        let underWay = index.nextPublication()
        index.markOpen(2)
        #expect(index.relocate(digest, from: old, to: copy))
        index.markClosed(2)
        try publish(underWay, to: index)
        #expect(index.lookup(digest) == copy)

        try publish(index.nextPublication(), to: index)
        #expect(index.lookup(digest) == copy)
        #expect(index.entries().count == 1)
    }
}
