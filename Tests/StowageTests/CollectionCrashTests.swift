import BlobStore
import Foundation
import TestSupport
import Testing

/// A real server killed with SIGKILL in each phase of garbage collection: `stowage-fsck` finds
/// nothing wrong with the store as the crash left it, and its repair mends nothing; after a restart the store opens, everything referenced pulls and
/// verifies, later runs finish the job, and `stowage-fsck --level verify` finds nothing wrong.
@Suite("Garbage collection crashes")
struct CollectionCrashTests {
    /// No schedule, no grace period, no restore window: a run acts on what a second ago left.
    /// Small blobs share packs, so removal, compaction and solo packs all take part.
    static let environment = [
        "STOWAGE_GC_INTERVAL": "0", "STOWAGE_GC_GRACE_PERIOD": "0", "STOWAGE_GC_RESTORE_WINDOW": "0",
        "STOWAGE_GC_COMPACT_DEAD_SHARE": "0.01", "STOWAGE_STORAGE_SOLO_THRESHOLD": "150000",
    ]

    static let phases = [
        "purged", "retained", "marked", "condemned", "swept", "removed", "compaction-copied",
        "compaction-published", "compacted",
    ]

    static func nextSecond() async throws {
        try await Task.sleep(for: .milliseconds(1100))
    }

    @Test(arguments: phases) func killedInPhase(_ phase: String) async throws {
        var crashing = Self.environment
        crashing["STOWAGE_TEST_CRASH_AT"] = phase
        let server = try await ServerProcess.start(environment: crashing)
        defer { try? FileManager.default.removeItem(at: server.directory) }
        let client = WireClient(server: server)
        var random = SeededGenerator(seed: try TestSeed.draw(for: "collection killed in \(phase)"))
        let shared = random.data(20_000)
        let kept = try await client.pushImage("octo/kept", tag: "v1", layers: [shared, random.data(200_000)], seed: "kept")
        _ = try await client.pushImage("octo/doomed", tag: "v1", layers: [shared, random.data(200_000), random.data(5000)], seed: "doomed")
        try await client.pushBlob(random.data(3000), to: "octo/kept")
        #expect(try await server.request("DELETE", "/api/v1/packages/octo/doomed").status == 204)

        for _ in 0..<3 {
            try await Self.nextSecond()
            guard (try? await client.collect()) != nil else { break }
        }
        #expect(await server.waitForDeath(seconds: 10), "the server never reached \(phase)")
        let fsck = BuiltExecutable.url("stowage-fsck")
        let check = try ChildRun.run(fsck, ["--data-dir", server.dataDirectory, "--level", "structure"])
        #expect(check.status == 0, "\(check)")
        let repair = try ChildRun.run(fsck, ["--data-dir", server.dataDirectory, "--level", "verify", "--repair"])
        #expect(repair.status == 0, "\(repair)")

        let restarted = try await ServerProcess.start(environment: Self.environment, directory: server.directory)
        let again = WireClient(server: restarted)
        try await again.pull("octo/kept", kept.digest)
        for _ in 0..<3 {
            try await Self.nextSecond()
            _ = try await again.collect()
        }
        let report = try await again.collect(dryRun: true)
        #expect(report["blobs"] as? Int == kept.blobs.count + 1, "only the kept image's blobs and its manifest remain")
        try await again.pull("octo/kept", kept.digest)
        #expect(await restarted.stop(keepingData: true) == 0)
        let verify = try ChildRun.run(fsck, ["--data-dir", server.dataDirectory, "--level", "verify"])
        #expect(verify.status == 0, "\(verify)")
    }
}
