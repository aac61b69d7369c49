@testable import BlobStore
import Foundation
import Testing

/// What a failed request leaves of itself in an upload: nothing. Its bytes may have reached the
/// spool (direct block writes, the buffered tail), but the upload goes on from its last
/// checkpoint, and no byte past it may end up in a blob or a pack.
@Suite("Upload sessions after a failed request")
struct UploadFailureTests {
    struct Disconnected: Error {}

    /// How the failed request reached the upload: a PATCH, or the closing PUT's body.
    enum FailedRequest: CaseIterable {
        case append
        case finalChunk
    }

    /// 3 MiB of bytes that are not the blob's, in pieces, so that full blocks are in flight to
    /// direct writes when the request breaks.
    static func writeJunkThenBreak(_ appender: inout UploadAppender) async throws {
        let junk = [UInt8](repeating: 0xEE, count: 65536)
        for _ in 0..<48 { try await appender.write(junk) }
        throw Disconnected()
    }

    /// A solo commit writes the block table right after the payload and renames the spool into
    /// a pack: bytes of a failed request past the payload would stay in the pack after the table.
    @Test(arguments: FailedRequest.allCases)
    func bytesOfAFailedRequestNeverReachAPack(failed: FailedRequest) async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let blob = randomBytes(seed: 31, count: 1 << 20 + 9)
        let upload = try await store.beginUpload()
        try await store.append(to: upload, at: 0) { try await $0.write(blob) }
        await #expect(throws: Disconnected.self) {
            switch failed {
            case .append:
                try await store.append(to: upload, at: UInt64(blob.count), Self.writeJunkThenBreak)
            case .finalChunk:
                _ = try await store.commitUpload(upload, expected: Digest.of(blob), at: UInt64(blob.count), finalChunk: Self.writeJunkThenBreak)
            }
        }
        #expect(try store.uploadOffset(upload) == UInt64(blob.count))

        let info = try await store.commitUpload(upload, expected: Digest.of(blob))
        #expect(try await store.bytes(of: info.digest) == blob)
        let packs = directory.files(in: "packs").filter { $0.hasSuffix(".pack") }.map { directory.size(of: "packs/\($0)") }
        #expect(packs.max() == UInt64(PackHeader.size) + RecordHeader.recordLength(storedLength: UInt64(blob.count)))
        try await store.close()
    }

    /// The next request, not only a commit, starts from the checkpoint: a shorter retry leaves
    /// no byte of the longer failed one behind it.
    @Test func aRetryShorterThanTheFailedRequestCommitsExactly() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let blob = randomBytes(seed: 32, count: (1 << 20) + 4096 + 3)
        let upload = try await store.beginUpload()
        try await store.append(to: upload, at: 0) { try await $0.write(Array(blob[..<4099])) }
        await #expect(throws: Disconnected.self) {
            try await store.append(to: upload, at: 4099, Self.writeJunkThenBreak)
        }
        try await store.append(to: upload, at: 4099) { try await $0.write(Array(blob[4099...])) }
        #expect(directory.size(of: "uploads/\(upload).spool") == UploadSession.reservedHead + UInt64(blob.count))
        let info = try await store.commitUpload(upload, expected: Digest.of(blob))
        #expect(try await store.bytes(of: info.digest) == blob)
        try await store.close()
    }
}
