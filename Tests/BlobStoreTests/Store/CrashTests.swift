@testable import BlobStore
import Foundation
import TestSupport
import Testing

/// A real child process commits blobs and is killed with SIGKILL at random moments; after each
/// kill the store must open, hold every blob it acknowledged, and serve nothing that fails its
/// checks. Rounds: 30, or STOWAGE_CRASH_ROUNDS; their seed is printed, and STOWAGE_TEST_SEED
/// replays it (the same writers' bytes and kill times; the threads' timing is the machine's).
@Suite("Crash safety", .serialized)
struct CrashTests {
    static var roundCount: Int {
        ProcessInfo.processInfo.environment["STOWAGE_CRASH_ROUNDS"].flatMap(Int.init) ?? 30
    }

    /// One round: the seed the writer makes its blobs from, and how long it runs before the kill.
    struct Round: Equatable {
        let writerSeed: UInt64
        let killAfter: Duration
    }

    static func rounds(seed: UInt64, count: Int) -> [Round] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            Round(writerSeed: random.next(), killAfter: .milliseconds(Int.random(in: 20...400, using: &random)))
        }
    }

    @Test func theSameSeedGivesTheSameRounds() throws {
        #expect(Self.rounds(seed: 42, count: 30) == Self.rounds(seed: 42, count: 30))
        #expect(Self.rounds(seed: 42, count: 30) != Self.rounds(seed: 43, count: 30))
        #expect(try TestSeed.seed(in: [TestSeed.variable: "42"]) == 42)
        #expect(throws: TestSeed.Malformed.self) { try TestSeed.seed(in: [TestSeed.variable: "0x2a"]) }
    }

    @Test func everyAcknowledgedBlobSurvivesSIGKILL() async throws {
        let directory = TemporaryDirectory("crash")
        let seed = try TestSeed.draw(for: "crash rounds")
        var acknowledged = Set<Digest>()
        for (number, round) in Self.rounds(seed: seed, count: Self.roundCount).enumerated() {
            let at = "round \(number) of seed \(seed)"
            let child = try ChildProcess("CrashWriter", arguments: [directory.path, String(round.writerSeed)])
            let ready = try await child.wait(for: { $0 == "ready" }, seconds: 30)
            #expect(ready, "\(at): the writer did not open the store")
            try await Task.sleep(for: round.killAfter)
            child.kill()
            for line in child.lines where line.hasPrefix("ack ") {
                acknowledged.insert(try Digest(parsing: line.dropFirst(4)))
            }

            let store = try await BlobStore.open(at: directory.path)
            for digest in acknowledged {
                #expect(store.contains(digest), "\(at): acknowledged \(digest) is missing")
            }
            for blob in store.allBlobs() {
                var hasher = DigestHasher(algorithm: blob.digest.algorithm)
                try await store.read(blob.digest) { hasher.update($0) }
                #expect(hasher.finalize() == blob.digest, "\(at): \(blob.digest) reads back wrong")
            }
            try await store.close()
        }
        #expect(acknowledged.count > Self.roundCount, "seed \(seed): the writer should have committed blobs in most rounds")
    }
}
