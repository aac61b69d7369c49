@testable import BlobStore
import Foundation
import TestSupport
import Testing

/// Options that make every code path run on small data: tiny packs that rotate and seal often,
/// a low threshold for solo packs.
func smallStoreOptions() -> BlobStoreOptions {
    var options = BlobStoreOptions()
    options.packSizeLimit = 64 << 10
    options.soloThreshold = 16 << 10
    options.publishAfterClosedPacks = 4
    return options
}

@Suite("BlobStore")
struct BlobStoreTests {
    @Test func putReadStatAndReopen() async throws {
        let directory = TemporaryDirectory()
        var random = SeededGenerator(seed: 1)
        let blobs = (0..<50).map { random.bytes($0 * 97) }
        var store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        for blob in blobs {
            let info = try await store.put(blob)
            #expect(info.digest == Digest.of(blob))
            #expect(info.size == UInt64(blob.count))
        }
        for blob in blobs {
            #expect(try await store.bytes(of: Digest.of(blob)) == blob)
        }
        try await store.close()

        store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        for blob in blobs {
            #expect(store.stat(Digest.of(blob))?.size == UInt64(blob.count))
            #expect(try await store.bytes(of: Digest.of(blob)) == blob)
        }
        #expect(Set(store.allBlobs().map(\.digest)) == Set(blobs.map { Digest.of($0) }))
        try await store.close()
    }

    @Test func blobsSmallerThanASoloPackAreTakenWhole() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        #expect(store.storesWhole(length: 0))
        #expect(store.storesWhole(length: Int(store.options.soloThreshold) - 1))
        #expect(!store.storesWhole(length: Int(store.options.soloThreshold)))
        #expect(!store.storesWhole(length: -1))
        try await store.close()
    }

    @Test func secondOpenerIsToldWhoHoldsTheLock() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        await #expect {
            _ = try await BlobStore.open(at: directory.path)
        } throws: { error in
            guard case BlobStoreError.locked(_, let holder) = error else { return false }
            return holder.contains("pid \(getpid())")
        }
        try await store.close()
        let again = try await BlobStore.open(at: directory.path)
        try await again.close()
    }

    @Test func putWithWrongExpectedDigestStoresNothing() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let wrong = Digest.of(Array("other".utf8))
        await #expect(throws: BlobStoreError.self) { try await store.put(Array("content".utf8), expected: wrong) }
        #expect(store.allBlobs().isEmpty)
        try await store.close()
    }

    @Test func existingBlobIsNotStoredTwice() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        let small = Array(repeating: UInt8(7), count: 1000)
        let large = randomBytes(seed: 5, count: 100_000)
        try await store.put(small)
        try await store.put(large)
        let packs = directory.files(in: "packs")
        try await store.put(small)
        let upload = try await store.beginUpload()
        try await store.append(to: upload) { try await $0.write(large) }
        let info = try await store.commitUpload(upload, expected: Digest.of(large))
        #expect(info.size == 100_000)
        #expect(directory.files(in: "packs") == packs)
        #expect(directory.files(in: "uploads").isEmpty)
        try await store.close()
    }

    @Test func compressibleSmallBlobIsStoredAsZstdAndReadBackExactly() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let json = Array(String(repeating: #"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":1234},"#, count: 200).utf8)
        let info = try await store.put(json)
        #expect(info.codec == .zstd)
        #expect(info.storedSize < info.size / 2)
        #expect(try await store.bytes(of: info.digest) == json)
        var middle: [UInt8] = []
        try await store.read(info.digest, range: 100..<5000) { middle.append(contentsOf: $0) }
        #expect(middle == Array(json[100..<5000]))

        let noise = randomBytes(seed: 3, count: 5000)
        #expect(try await store.put(noise).codec == .verbatim)
        try await store.close()
    }

    @Test func rangeReadsOfALargeBlob() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let blob = randomBytes(seed: 9, count: 3 << 20 + 12345)
        let digest = try await store.put(blob).digest
        for range in [0..<1, 0..<(1 << 20), (1 << 20) - 5..<(1 << 20) + 5, 3 << 20..<(3 << 20) + 12345, 17..<(3 << 20) + 12000] {
            var got: [UInt8] = []
            try await store.read(digest, range: UInt64(range.lowerBound)..<UInt64(range.upperBound)) { got.append(contentsOf: $0) }
            #expect(got == Array(blob[range]), "range \(range)")
        }
        await #expect(throws: BlobStoreError.self) {
            try await store.read(digest, range: 0..<UInt64(blob.count + 1)) { _ in }
        }
        try await store.close()
    }

    @Test func largeBlobIsWrittenOnceIntoItsOwnPack() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let blob = randomBytes(seed: 11, count: 5 << 20)
        let upload = try await store.beginUpload()
        try await store.append(to: upload, at: 0) { appender in
            for start in stride(from: 0, to: blob.count, by: 65536) {
                try await appender.write(Array(blob[start..<min(start + 65536, blob.count)]))
            }
        }
        let info = try await store.commitUpload(upload, expected: Digest.of(blob))
        let packs = directory.files(in: "packs").filter { $0.hasSuffix(".pack") }
        #expect(packs.count == 1)
        // Pack header, record header, payload, and one 8-byte checksum per MiB: nothing else.
        #expect(directory.size(of: "packs/" + packs[0]) == 160 + UInt64(blob.count) + 8 * 5)
        #expect(try await store.bytes(of: info.digest) == blob)
        try await store.close()
    }
}

@Suite("Upload sessions")
struct UploadTests {
    @Test func chunksMustArriveInOrder() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let upload = try await store.beginUpload()
        try await store.append(to: upload, at: 0) { try await $0.write(Array(repeating: 1, count: 100)) }
        #expect(try store.uploadOffset(upload) == 100)
        await #expect {
            try await store.append(to: upload, at: 50) { try await $0.write([1]) }
        } throws: { error in
            guard case BlobStoreError.uploadOutOfOrder(_, let expected, let received) = error else { return false }
            return expected == 100 && received == 50
        }
        #expect(try store.uploadOffset(upload) == 100)
        try await store.append(to: upload, at: 100) { try await $0.write(Array(repeating: 2, count: 100)) }
        let blob = Array(repeating: UInt8(1), count: 100) + Array(repeating: UInt8(2), count: 100)
        #expect(try await store.commitUpload(upload, expected: Digest.of(blob)).size == 200)
        try await store.close()
    }

    @Test func digestMismatchRemovesTheSpool() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        for size in [10, 100_000] {
            let upload = try await store.beginUpload()
            try await store.append(to: upload) { try await $0.write(Array(repeating: 3, count: size)) }
            await #expect(throws: BlobStoreError.self) {
                try await store.commitUpload(upload, expected: Digest.of(Array("something else".utf8)))
            }
            #expect(directory.files(in: "uploads").isEmpty)
            #expect(throws: BlobStoreError.self) { try store.uploadOffset(upload) }
        }
        #expect(store.allBlobs().isEmpty)
        try await store.close()
    }

    @Test func cancelRemovesEverything() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let upload = try await store.beginUpload()
        try await store.append(to: upload) { try await $0.write(Array(repeating: 3, count: 1000)) }
        try await store.cancelUpload(upload)
        #expect(directory.files(in: "uploads").isEmpty)
        #expect(store.uploadIDs.isEmpty)
        try await store.close()
    }

    @Test func sizeLimitIsEnforcedWhileStreaming() async throws {
        let directory = TemporaryDirectory()
        var options = BlobStoreOptions()
        options.maxBlobSize = 1000
        let store = try await BlobStore.open(at: directory.path, options: options)
        let upload = try await store.beginUpload()
        try await store.append(to: upload) { try await $0.write(Array(repeating: 1, count: 300)) }
        await #expect {
            try await store.append(to: upload) { appender in
                try await appender.write(Array(repeating: 1, count: 600))
                try await appender.write(Array(repeating: 1, count: 600))
            }
        } throws: { error in
            guard case BlobStoreError.tooLarge(1000) = error else { return false }
            return true
        }
        // The refused request leaves nothing, not even what arrived below the limit.
        #expect(try store.uploadOffset(upload) == 300)
        try await store.close()
    }

    @Test func aBrokenRequestLeavesNothing() async throws {
        struct ConnectionDropped: Error {}
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let upload = try await store.beginUpload()
        await #expect(throws: ConnectionDropped.self) {
            try await store.append(to: upload) { appender in
                try await appender.write(Array(repeating: 5, count: 700))
                throw ConnectionDropped()
            }
        }
        #expect(try store.uploadOffset(upload) == 0)
        try await store.append(to: upload, at: 0) { try await $0.write(Array(repeating: 5, count: 1000)) }
        #expect(try await store.commitUpload(upload, expected: Digest.of(Array(repeating: UInt8(5), count: 1000))).size == 1000)
        try await store.close()
    }

    @Test(arguments: [DigestAlgorithm.sha256, .sha512])
    func uploadResumesAfterRestart(algorithm: DigestAlgorithm) async throws {
        let directory = TemporaryDirectory()
        let blob = randomBytes(seed: 21, count: 3 << 20 + 777)
        var store = try await BlobStore.open(at: directory.path)
        let upload = try await store.beginUpload(algorithm: algorithm)
        try await store.append(to: upload, at: 0) { try await $0.write(Array(blob[..<(1 << 20 + 5)])) }
        try await store.close()

        store = try await BlobStore.open(at: directory.path)
        #expect(store.uploadIDs == [upload])
        #expect(try store.uploadOffset(upload) == UInt64(1 << 20 + 5))
        try await store.append(to: upload, at: UInt64(1 << 20 + 5)) { try await $0.write(Array(blob[(1 << 20 + 5)...])) }
        let info = try await store.commitUpload(upload, expected: Digest.of(blob, algorithm: algorithm))
        #expect(try await store.bytes(of: info.digest) == blob)
        try await store.close()
    }

    /// Requests that start and end anywhere in the spool's 4 KiB pages and 1 MiB staging
    /// blocks, with a restart in the middle and the last bytes sent with the commit: the spool
    /// writer's direct block writes and buffered tails must add up to exactly the bytes sent.
    @Test func requestsOfUnevenSizesAddUpExactly() async throws {
        let directory = TemporaryDirectory()
        let sizes = [1, 4095, 4097, (1 << 20) - 160, 3, (1 << 20) + 1, 65536, 2 << 20, 7, 4096]
        let blob = randomBytes(seed: 23, count: sizes.reduce(0, +))
        var store = try await BlobStore.open(at: directory.path)
        let upload = try await store.beginUpload()
        var offset = 0
        for (request, size) in sizes.dropLast().enumerated() {
            try await store.append(to: upload, at: UInt64(offset)) { appender in
                // Within a request too, pieces of two different sizes.
                for start in stride(from: offset, to: offset + size, by: 65521) {
                    try await appender.write(Array(blob[start..<min(start + 65521, offset + size)]))
                }
            }
            offset += size
            if request == 4 {
                try await store.close()
                store = try await BlobStore.open(at: directory.path)
            }
        }
        let info = try await store.commitUpload(upload, expected: Digest.of(blob), at: UInt64(offset)) { appender in
            try await appender.write(Array(blob[offset...]))
        }
        #expect(info.size == UInt64(blob.count))
        #expect(try await store.bytes(of: info.digest) == blob)
        try await store.close()
    }

    /// A closing PUT whose body breaks after several blocks were handed to writes: the upload
    /// goes back to its last checkpoint, and the client's retry of the rest commits exactly.
    @Test func aBrokenFinalChunkLeavesTheUploadAtItsCheckpoint() async throws {
        struct Disconnected: Error {}
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let blob = randomBytes(seed: 25, count: 6 << 20)
        let upload = try await store.beginUpload()
        try await store.append(to: upload, at: 0) { try await $0.write(Array(blob[..<(1 << 20 + 9)])) }
        await #expect(throws: Disconnected.self) {
            _ = try await store.commitUpload(upload, expected: Digest.of(blob), at: UInt64(1 << 20 + 9)) { appender in
                try await appender.write(Array(blob[(1 << 20 + 9)..<(4 << 20)]))
                throw Disconnected()
            }
        }
        #expect(try store.uploadOffset(upload) == UInt64(1 << 20 + 9))
        let info = try await store.commitUpload(upload, expected: Digest.of(blob), at: UInt64(1 << 20 + 9)) { appender in
            try await appender.write(Array(blob[(1 << 20 + 9)...]))
        }
        #expect(try await store.bytes(of: info.digest) == blob)
        try await store.close()
    }

    /// Beginning an upload syncs nothing; after a power failure its spool may be empty.
    @Test func anUploadThatNeverSyncedOpensEmptyEvenIfItsSpoolLostItsHead() async throws {
        let directory = TemporaryDirectory()
        var store = try await BlobStore.open(at: directory.path)
        let upload = try await store.beginUpload()
        try await store.close()
        #expect(truncate(directory.path + "/uploads/\(upload).spool", 0) == 0)

        store = try await BlobStore.open(at: directory.path)
        #expect(try store.uploadOffset(upload) == 0)
        let blob = randomBytes(seed: 24, count: 3000)
        let info = try await store.commitUpload(upload, expected: Digest.of(blob)) { try await $0.write(blob) }
        #expect(try await store.bytes(of: info.digest) == blob)
        try await store.close()
    }

    @Test func bytesPastTheSyncedOffsetAreCutOnResume() async throws {
        let directory = TemporaryDirectory()
        var store = try await BlobStore.open(at: directory.path)
        let upload = try await store.beginUpload()
        try await store.append(to: upload) { try await $0.write(Array(repeating: 9, count: 500)) }
        try await store.close()
        // Bytes that reached the spool but never the state file: a crash between write and sync.
        let spool = directory.path + "/uploads/\(upload).spool"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: spool))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(repeating: 0xee, count: 300))
        try handle.close()

        store = try await BlobStore.open(at: directory.path)
        #expect(try store.uploadOffset(upload) == 500)
        #expect(directory.size(of: "uploads/\(upload).spool") == 160 + 500)
        let info = try await store.commitUpload(upload, expected: Digest.of(Array(repeating: UInt8(9), count: 500)))
        #expect(info.size == 500)
        try await store.close()
    }

    /// Requests do not each sync: the state file follows at checkpoints (by bytes or time), and
    /// when the store closes.
    @Test func uploadsAreCheckpointedByBytesAndOnClose() async throws {
        let directory = TemporaryDirectory()
        var options = BlobStoreOptions()
        options.uploadCheckpointBytes = 1 << 20
        options.uploadCheckpointInterval = .seconds(3600)
        var store = try await BlobStore.open(at: directory.path, options: options)
        let blob = randomBytes(seed: 31, count: 3 << 20)
        let upload = try await store.beginUpload()
        let statePath = directory.path + "/uploads/\(upload).state"
        try await store.append(to: upload, at: 0) { try await $0.write(Array(blob[..<500])) }
        #expect(try store.uploadOffset(upload) == 500)
        #expect(try UploadState.load(statePath).offset == 0, "500 bytes are no checkpoint yet")
        try await store.append(to: upload, at: 500) { try await $0.write(Array(blob[500..<(1 << 20 + 600)])) }
        #expect(try UploadState.load(statePath).offset == UInt64(1 << 20 + 600), "a MiB since the last one is")
        try await store.append(to: upload, at: UInt64(1 << 20 + 600)) { try await $0.write(Array(blob[(1 << 20 + 600)..<(2 << 20)])) }
        #expect(try UploadState.load(statePath).offset == UInt64(1 << 20 + 600))
        try await store.close()
        #expect(try UploadState.load(statePath).offset == UInt64(2 << 20), "closing takes the checkpoints put off")

        store = try await BlobStore.open(at: directory.path, options: options)
        #expect(try store.uploadOffset(upload) == UInt64(2 << 20))
        let info = try await store.commitUpload(upload, expected: Digest.of(blob), at: UInt64(2 << 20)) { try await $0.write(Array(blob[(2 << 20)...])) }
        #expect(try await store.bytes(of: info.digest) == blob)
        try await store.close()
    }

    /// A crash (the data directory as it is on disk while the store runs) takes an upload back to
    /// its last checkpoint; its status says so, and the client's resume from there is exact.
    @Test func aCrashTakesAnUploadBackToItsLastCheckpoint() async throws {
        let directory = TemporaryDirectory(), copy = TemporaryDirectory()
        var options = BlobStoreOptions()
        options.uploadCheckpointBytes = 1 << 20
        options.uploadCheckpointInterval = .seconds(3600)
        let store = try await BlobStore.open(at: directory.path, options: options)
        let blob = randomBytes(seed: 32, count: 3 << 20)
        let upload = try await store.beginUpload()
        try await store.append(to: upload, at: 0) { try await $0.write(Array(blob[..<(1 << 20 + 1)])) }
        try await store.append(to: upload, at: UInt64(1 << 20 + 1)) { try await $0.write(Array(blob[(1 << 20 + 1)..<(1 << 20 + 90_000)])) }
        #expect(try store.uploadOffset(upload) == UInt64(1 << 20 + 90_000))
        try FileManager.default.removeItem(atPath: copy.path)
        try FileManager.default.copyItem(atPath: directory.path, toPath: copy.path)
        try FileManager.default.removeItem(atPath: copy.path + "/LOCK")

        let recovered = try await BlobStore.open(at: copy.path, options: options)
        #expect(try recovered.uploadOffset(upload) == UInt64(1 << 20 + 1))
        await #expect(throws: BlobStoreError.self) {
            try await recovered.append(to: upload, at: UInt64(1 << 20 + 90_000)) { try await $0.write(Array(blob[(1 << 20 + 90_000)...])) }
        }
        let info = try await recovered.commitUpload(upload, expected: Digest.of(blob), at: UInt64(1 << 20 + 1)) {
            try await $0.write(Array(blob[(1 << 20 + 1)...]))
        }
        #expect(try await recovered.bytes(of: info.digest) == blob)
        try await recovered.close()
        try await store.close()
    }

    /// A failed request goes back to where the last successful one left the upload, even when
    /// that one's checkpoint was put off.
    @Test func aFailedRequestGoesBackToTheLastSuccessfulOneNotTheCheckpoint() async throws {
        struct Dropped: Error {}
        let directory = TemporaryDirectory()
        var options = BlobStoreOptions()
        options.uploadCheckpointInterval = .seconds(3600)
        let store = try await BlobStore.open(at: directory.path, options: options)
        let blob = randomBytes(seed: 33, count: 200_000)
        let upload = try await store.beginUpload()
        try await store.append(to: upload, at: 0) { try await $0.write(Array(blob[..<70_000])) }
        await #expect(throws: Dropped.self) {
            try await store.append(to: upload, at: 70_000) { appender in
                try await appender.write(Array(repeating: 0xee, count: 50_000))
                throw Dropped()
            }
        }
        #expect(try store.uploadOffset(upload) == 70_000)
        #expect(try UploadState.load(directory.path + "/uploads/\(upload).state").offset == 0)
        try await store.append(to: upload, at: 70_000) { try await $0.write(Array(blob[70_000..<100_000])) }
        let info = try await store.commitUpload(upload, expected: Digest.of(blob), at: 100_000) { try await $0.write(Array(blob[100_000...])) }
        #expect(try await store.bytes(of: info.digest) == blob)
        try await store.close()
    }

    @Test func finishingWithAnotherAlgorithmRehashes() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let blob = Array("hello".utf8)
        let upload = try await store.beginUpload(algorithm: .sha256)
        try await store.append(to: upload) { try await $0.write(blob) }
        let info = try await store.commitUpload(upload, expected: Digest.of(blob, algorithm: .sha512))
        #expect(info.digest.algorithm == .sha512)
        #expect(try await store.bytes(of: info.digest) == blob)
        try await store.close()
    }
}

@Suite("Layer diff_id through the store")
struct LayerDiffIDTests {
    static func compress(_ bytes: [UInt8], with tool: String) throws -> [UInt8] {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-layer-\(UUID().uuidString)")
        try Data(bytes).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let pipe = Pipe()
        let process = try Spawned(URL(fileURLWithPath: "/usr/bin/env"), [tool, "-c", input.path], output: .pipe(pipe))
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(output)
    }

    @Test(arguments: ["gzip", "zstd", "plain"])
    func diffIDOfAStoredLayer(tool: String) async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let tar = randomBytes(seed: 77, count: 3 << 20) + Array(repeating: 0, count: 1 << 20)
        let stored = tool == "plain" ? tar : try Self.compress(tar, with: tool)
        let digest = try await store.put(stored).digest
        let (diffID, size) = try await store.uncompressedDigest(of: digest)
        #expect(diffID == Digest.of(tar))
        #expect(size == UInt64(tar.count))
        try await store.close()
    }
}
