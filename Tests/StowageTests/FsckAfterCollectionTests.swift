import BlobStore
import Foundation
import TestSupport
import Testing

/// stowage-fsck on stores that garbage collection worked on, as an operator runs it: images with
/// small shared and unique layers pushed from four clients at once, half of them deleted, runs
/// of collection back to back, then, with the server stopped or killed, a check that must find
/// nothing and a repair that must bring back nothing collection deleted (docs/FORMAT.md,
/// "Deletion list"). A high dead share keeps deleted records in their shared packs.
@Suite("stowage-fsck after garbage collection", .serialized)
struct FsckAfterCollectionTests {
    static let environment = [
        "STOWAGE_GC_INTERVAL": "0", "STOWAGE_GC_GRACE_PERIOD": "0", "STOWAGE_GC_RESTORE_WINDOW": "0",
        "STOWAGE_STORAGE_PACK_SIZE_LIMIT": "65536", "STOWAGE_GC_COMPACT_DEAD_SHARE": "0.9",
    ]

    struct Pushed: Sendable {
        let repository: String
        let manifest: Digest
        let blobs: [Digest]
    }

    /// Four clients push five images each; every image has one of three shared layers (the
    /// clients race to upload them) and a layer of its own. Returns the kept half, after the
    /// other half is deleted.
    static func pushAndDeleteHalf(_ server: ServerProcess) async throws -> [Pushed] {
        let client = WireClient(server: server)
        var random = SeededGenerator(seed: try TestSeed.draw(for: "fsck after collection"))
        let shared = (0..<3).map { _ in random.data(6000) }
        // Each client's own layers, drawn here: the generator is not shared with the tasks.
        let own = (0..<4).map { _ in (0..<5).map { image in random.data(2000 + 500 * image) } }
        let pushed = try await withThrowingTaskGroup(of: [Pushed].self) { group in
            for clientNumber in 0..<4 {
                group.addTask {
                    var images: [Pushed] = []
                    for image in 0..<5 {
                        let repository = "octo/app-\(clientNumber)-\(image)"
                        let layers = [shared[image % 3], own[clientNumber][image]]
                        let (manifest, blobs) = try await client.pushImage(repository, tag: "v1", layers: layers, seed: repository)
                        images.append(Pushed(repository: repository, manifest: manifest, blobs: blobs))
                    }
                    return images
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        for image in pushed where image.repository.hasSuffix("1") || image.repository.hasSuffix("3") {
            #expect(try await server.request("DELETE", "/api/v1/packages/\(image.repository)").status == 204)
        }
        return pushed.filter { !($0.repository.hasSuffix("1") || $0.repository.hasSuffix("3")) }
    }

    static func fsck(_ directory: String, _ arguments: [String]) throws -> (run: ChildRun, document: [String: Any]) {
        let run = try ChildRun.run(BuiltExecutable.url("stowage-fsck"), ["--data-dir", directory, "--json"] + arguments)
        let document = (try? JSONSerialization.jsonObject(with: Data(run.output.utf8))) as? [String: Any] ?? [:]
        return (run, document)
    }

    /// The check finds nothing, the repair leaves the store as collection left it: a restarted
    /// server holds exactly the kept images' blobs and serves them.
    static func expectCleanAndNothingBack(_ server: ServerProcess, kept: [Pushed]) async throws {
        let check = try fsck(server.dataDirectory, ["--level", "structure"])
        #expect(check.run.status == 0, "\(check.run)")
        let repair = try fsck(server.dataDirectory, ["--level", "verify", "--repair"])
        #expect(repair.run.status == 0, "\(repair.run)")

        let restarted = try await ServerProcess.start(environment: environment, directory: server.directory)
        let client = WireClient(server: restarted)
        let report = try await client.collect(dryRun: true)
        let expected = Set(kept.flatMap { $0.blobs + [$0.manifest] })
        #expect(report["blobs"] as? Int == expected.count, "collection deleted \(report["deletedBlobs"] ?? 0) blobs again: \(report)")
        for image in kept { try await client.pull(image.repository, image.manifest) }
        #expect(await restarted.stop() == 0)
    }

    @Test func aStoreCollectionLeftChecksCleanAndItsRepairBringsNothingBack() async throws {
        let server = try await ServerProcess.start(environment: Self.environment)
        let client = WireClient(server: server)
        let kept = try await Self.pushAndDeleteHalf(server)
        for _ in 0..<3 {
            try await CollectionCrashTests.nextSecond()
            _ = try await client.collect()
        }
        #expect(await server.stop(keepingData: true) == 0)

        let check = try Self.fsck(server.dataDirectory, ["--level", "structure"])
        let statistics = (check.document["store"] as? [String: Any])?["statistics"] as? [String: Any]
        #expect((statistics?["deleted"] as? Int ?? 0) > 0, "collection left deleted records in shared packs: \(check.run)")
        try await Self.expectCleanAndNothingBack(server, kept: kept)
    }

    /// Killed once the index without the deleted blobs is published and before the packs left
    /// without a live record are deleted: the run that sweeps is the second (the first only
    /// condemns), so the first runs on a server that is then stopped.
    @Test func aStoreCollectionLeftWhenKilledChecksCleanAndItsRepairBringsNothingBack() async throws {
        let first = try await ServerProcess.start(environment: Self.environment)
        let kept = try await Self.pushAndDeleteHalf(first)
        try await CollectionCrashTests.nextSecond()
        let condemned = try await WireClient(server: first).collect()
        #expect((condemned["condemnedBlobs"] as? Int ?? 0) > 0, "\(condemned)")
        #expect(await first.stop(keepingData: true) == 0)

        var crashing = Self.environment
        crashing["STOWAGE_TEST_CRASH_AT"] = "compaction-published"
        let server = try await ServerProcess.start(environment: crashing, directory: first.directory)
        try await CollectionCrashTests.nextSecond()
        _ = try? await WireClient(server: server).collect()
        #expect(await server.waitForDeath(seconds: 10), "the server never reached compaction-published")
        try await Self.expectCleanAndNothingBack(server, kept: kept)
    }
}
