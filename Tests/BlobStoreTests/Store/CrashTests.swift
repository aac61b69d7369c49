@testable import BlobStore
import Foundation
import Testing

/// A real child process commits blobs and is killed with SIGKILL at random moments; after each
/// kill the store must open, hold every blob it acknowledged, and serve nothing that fails its
/// checks. Rounds: 30, or STOWAGE_CRASH_ROUNDS.
@Suite("Crash safety", .serialized)
struct CrashTests {
    static var rounds: Int {
        ProcessInfo.processInfo.environment["STOWAGE_CRASH_ROUNDS"].flatMap(Int.init) ?? 30
    }

    @Test func everyAcknowledgedBlobSurvivesSIGKILL() async throws {
        let directory = TemporaryDirectory("crash")
        var random = SeededGenerator(seed: UInt64(Date().timeIntervalSince1970))
        var acknowledged = Set<Digest>()
        for round in 0..<Self.rounds {
            let child = try ChildProcess("CrashWriter", arguments: [directory.path, String(round + 1)])
            let ready = try await child.wait(for: { $0 == "ready" }, seconds: 30)
            #expect(ready, "round \(round): the writer did not open the store")
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...400, using: &random)))
            child.kill()
            for line in child.lines where line.hasPrefix("ack ") {
                acknowledged.insert(try Digest(parsing: line.dropFirst(4)))
            }

            let store = try await BlobStore.open(at: directory.path)
            for digest in acknowledged {
                #expect(store.contains(digest), "round \(round): acknowledged \(digest) is missing")
            }
            for blob in store.allBlobs() {
                var hasher = DigestHasher(algorithm: blob.digest.algorithm)
                try await store.read(blob.digest) { hasher.update($0) }
                #expect(hasher.finalize() == blob.digest, "round \(round): \(blob.digest) reads back wrong")
            }
            try await store.close()
        }
        #expect(acknowledged.count > Self.rounds, "the writer should have committed blobs in most rounds")
    }
}
