@testable import BlobStore
import TestSupport
import Testing

/// A random sequence of puts, uploads, cancels and reopens; after every step the store holds
/// exactly what a dictionary model holds, byte for byte, and pending uploads stand where the
/// model says.
@Suite("Store against a model")
struct ModelTests {
    /// Small and large sizes, some repeated content so that dedupe is exercised.
    static func randomBlob(_ random: inout SeededGenerator) -> [UInt8] {
        let size = Bool.random(using: &random) ? Int.random(in: 0...3000, using: &random) : Int.random(in: 10_000...80_000, using: &random)
        return Int.random(in: 0..<8, using: &random) == 0 ? Array(repeating: 42, count: size) : random.bytes(size)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func randomOperationsMatchTheModel(seed: UInt64) async throws {
        let directory = TemporaryDirectory("model")
        var random = SeededGenerator(seed: seed)
        var model: [Digest: [UInt8]] = [:]
        var pending: [String: [UInt8]] = [:]
        var store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())

        for step in 0..<150 {
            switch Int.random(in: 0..<10, using: &random) {
            case 0...3:
                let blob = Self.randomBlob(&random)
                let info = try await store.put(blob)
                model[info.digest] = blob
            case 4...5:
                let upload = try await store.beginUpload()
                pending[upload] = []
            case 6...7:
                guard let (upload, sofar) = pending.randomElement(using: &random) else { continue }
                let chunk = random.bytes(Int.random(in: 0...20_000, using: &random))
                let offset = try await store.append(to: upload, at: UInt64(sofar.count)) { try await $0.write(chunk) }
                pending[upload] = sofar + chunk
                #expect(offset == UInt64(sofar.count + chunk.count))
            case 8:
                guard let (upload, bytes) = pending.randomElement(using: &random) else { continue }
                pending[upload] = nil
                if Bool.random(using: &random) {
                    let info = try await store.commitUpload(upload, expected: Digest.of(bytes))
                    model[info.digest] = bytes
                } else {
                    try await store.cancelUpload(upload)
                }
            default:
                try await store.close()
                store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
            }

            #expect(Set(store.allBlobs().map(\.digest)) == Set(model.keys), "step \(step)")
            #expect(Set(store.uploadIDs) == Set(pending.keys), "step \(step)")
            for (upload, bytes) in pending {
                #expect(try store.uploadOffset(upload) == UInt64(bytes.count), "step \(step)")
            }
        }
        for (digest, bytes) in model {
            #expect(try await store.bytes(of: digest) == bytes)
        }
        try await store.close()
    }
}

@Suite("Group commit")
struct GroupCommitTests {
    @Test func concurrentSmallCommitsShareSyncs() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let blobs = (0..<64).map { randomBytes(seed: UInt64($0), count: 4096) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for blob in blobs {
                group.addTask { try await store.put(blob) }
            }
            try await group.waitForAll()
        }
        for blob in blobs { #expect(store.contains(Digest.of(blob))) }
        let syncs = await store.writer.syncCount
        #expect(syncs < blobs.count, "64 concurrent commits took \(syncs) fdatasyncs")
        try await store.close()
    }
}
