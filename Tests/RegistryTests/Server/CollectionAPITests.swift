import BlobStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Registry
import TestSupport
import Testing

/// Garbage collection inside a live server: what it collects, what a touch saves, and who may
/// run it. Times in the metadata are whole seconds, so the tests wait a second where a grace
/// period or a window of 0 must pass.
@Suite("Garbage collection over HTTP")
struct CollectionAPITests {
    static func immediate(_ configuration: inout RegistryServer.Configuration) {
        configuration.registry.collection.gracePeriod = 0
        configuration.registry.collection.restoreWindow = 0
        configuration.registry.collection.compactDeadShare = 0.01
    }

    static func nextSecond() async throws {
        try await Task.sleep(for: .milliseconds(1100))
    }

    static func collect(_ registry: RegistryHarness, dryRun: Bool = false) async throws -> [String: Any] {
        let response = try await registry.request(.post, "/api/v1/gc\(dryRun ? "?dry_run=true" : "")")
        #expect(response.status == .ok, "gc answered \(response.status): \(response.text)")
        return try JSONSerialization.jsonObject(with: Data(response.bytes)) as? [String: Any] ?? [:]
    }

    @Test(arguments: DatabaseBackend.allCases) func aDeletedPackageIsCollectedOnceItsWindowAndTheGracePeriodHavePassed(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend, configure: Self.immediate) { registry in
            // Random, so that it is stored as it is, not as a small zstd frame.
            let big = (0..<300_000).map { _ in UInt8.random(in: 0...255) }
            let doomed = try await registry.pushImage("octo/old", tag: "v1", layers: [big, Array("small".utf8)])
            let kept = try await registry.pushImage("octo/kept", tag: "v1", layers: [Array("kept layer".utf8)])
            let blobsBefore = try await registry.service.store.allBlobs().count
            try await registry.request(.delete, "/api/v1/packages/octo/old")
            try await Self.nextSecond()

            let dry = try await Self.collect(registry, dryRun: true)
            #expect(dry["dryRun"] as? Bool == true)
            #expect((dry["purged"] as? [[String: Any]])?.first?["package"] as? String == "octo/old")
            let reclaimable = dry["reclaimable"] as? [[String: Any]] ?? []
            #expect(reclaimable.map { $0["package"] as? String } == ["octo/old"])
            #expect((reclaimable.first?["bytes"] as? Int ?? 0) >= big.count)
            #expect(try await registry.service.store.allBlobs().count == blobsBefore, "a dry run changes nothing")

            let first = try await Self.collect(registry)
            #expect(first["condemnedBlobs"] as? Int == 3, "the manifest and two layers; octo/kept links the same config")
            #expect(first["deletedBlobs"] as? Int == 0, "condemned blobs wait for the grace period")
            try await Self.nextSecond()
            let second = try await Self.collect(registry)
            #expect(second["deletedBlobs"] as? Int == 3)
            #expect((second["bytesFreed"] as? Int ?? 0) >= big.count)

            #expect(try await registry.service.store.stat(doomed.digest) == nil)
            #expect(try await registry.service.store.stat(Digest.of(big)) == nil)
            #expect(try await registry.request(.post, "/api/v1/packages/octo/old/restore").status == .notFound)
            let pulled = try await registry.request(.get, "/v2/octo/kept/manifests/v1")
            #expect(pulled.status == .ok && pulled.bytes == kept.bytes)
            #expect(try await registry.request(.get, "/v2/octo/kept/blobs/\(Digest.of(Array("kept layer".utf8)))").status == .ok)

            let metrics = try await registry.request(.get, "/metrics").text
            #expect(metrics.contains(#"stowage_gc_blobs_total{phase="deleted"} 3"#))
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func everyTouchRevivesACondemnedBlob(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend, configure: Self.immediate) { registry in
            let orphan = Array("pushed, never named by a manifest".utf8)
            let digest = try await registry.pushBlob(orphan, to: "octo/app")
            try await Self.nextSecond()
            #expect(try await Self.collect(registry)["condemnedBlobs"] as? Int == 1)

            // A HEAD revives it: the next run, a grace period later, keeps it and condemns it anew.
            #expect(try await registry.request(.head, "/v2/octo/app/blobs/\(digest)").status == .ok)
            try await Self.nextSecond()
            let afterHead = try await Self.collect(registry)
            #expect(afterHead["deletedBlobs"] as? Int == 0 && afterHead["condemnedBlobs"] as? Int == 1)

            // So does a mount, and an upload of the same digest.
            let mount = try await registry.request(.post, "/v2/octo/other/blobs/uploads/?mount=\(digest)&from=octo/app")
            #expect(mount.status == .created)
            try await Self.nextSecond()
            #expect(try await Self.collect(registry)["deletedBlobs"] as? Int == 0)
            try await registry.pushBlob(orphan, to: "octo/app")
            try await Self.nextSecond()
            #expect(try await Self.collect(registry)["deletedBlobs"] as? Int == 0)

            // Left alone for a grace period, it goes, from the store and from every repository.
            try await Self.nextSecond()
            #expect(try await Self.collect(registry)["deletedBlobs"] as? Int == 1)
            #expect(try await registry.request(.head, "/v2/octo/app/blobs/\(digest)").status == .notFound)
            #expect(try await registry.request(.head, "/v2/octo/other/blobs/\(digest)").status == .notFound)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func aManifestNamingASweptBlobIsRefusedAndAFreshPushSucceeds(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend, configure: Self.immediate) { registry in
            let layer = Array("a layer whose manifest came too late".utf8)
            try await registry.pushBlob(layer, to: "octo/app")
            try await Self.nextSecond()
            _ = try await Self.collect(registry)
            try await Self.nextSecond()
            #expect(try await Self.collect(registry)["deletedBlobs"] as? Int == 1)

            await #expect(throws: RegistryHarness.Failure.self) {
                try await registry.pushImage("octo/app", tag: "late", layers: [layer], pushLayers: false)
            }
            try await registry.pushBlob(layer, to: "octo/app")
            try await registry.pushImage("octo/app", tag: "late", layers: [layer], pushLayers: false)
            #expect(try await registry.request(.get, "/v2/octo/app/blobs/\(Digest.of(layer))").bytes == layer)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func abandonedUploadsExpire(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend, configure: { $0.registry.collection.uploadExpiry = 0 }) { registry in
            let started = try await registry.request(.post, "/v2/octo/app/blobs/uploads/")
            let location = try #require(started.header("Location"))
            try await registry.request(.patch, location, headers: [.contentType: "application/octet-stream"], body: Array("half".utf8))
            try await Self.nextSecond()

            #expect(try await Self.collect(registry, dryRun: true)["expiredUploads"] as? Int == 1)
            #expect(try await registry.request(.get, location).status == .noContent, "a dry run changes nothing")
            #expect(try await Self.collect(registry)["expiredUploads"] as? Int == 1)
            let gone = try await registry.request(.get, location)
            #expect(gone.status == .notFound && gone.errorCode == "BLOB_UPLOAD_UNKNOWN")
            #expect(try await registry.service.metadata.uploads.uploads().isEmpty)
        }
    }

    @Test func onlyASiteAdministratorRunsItAndOnlyOwnersDelete() async throws {
        try await AuthTests.withAuth { registry in
            let admin = try await registry.service.metadata.accounts.createUser("root", admin: true)
            let rootToken = try await registry.service.metadata.accounts.createToken(
                user: admin.name, scopes: Set(Scope.allCases), expires: nil, description: "").token
            let alice = try await AuthTests.user(registry, "alice")
            let bob = try await AuthTests.user(registry, "bob")
            let image = try await registry.pushImage("alice/app", tag: "v1", layers: [Array("a".utf8)], headers: AuthTests.basic("alice", alice))

            #expect(try await registry.request(.post, "/api/v1/gc").status == .unauthorized)
            #expect(try await registry.request(.post, "/api/v1/gc", headers: AuthTests.basic("alice", alice)).status == .forbidden)
            #expect(try await registry.request(.post, "/api/v1/gc?dry_run=true", headers: AuthTests.basic("root", rootToken)).status == .ok)

            let byBob = try await registry.request(.delete, "/api/v1/packages/alice/app/versions/\(image.digest)", headers: AuthTests.basic("bob", bob))
            #expect(byBob.status == .forbidden)
            let bobsList = try await registry.request(.get, "/api/v1/packages", headers: AuthTests.basic("bob", bob))
            #expect(bobsList.text == "[]", "a private package is invisible to others")
            let readOnly = try await AuthTests.user(registry, "alice", scopes: [.readPackages])
            #expect(try await registry.request(
                .delete, "/api/v1/packages/alice/app", headers: AuthTests.basic("alice", readOnly)).status == .forbidden)
            #expect(try await registry.request(.delete, "/api/v1/packages/alice/app", headers: AuthTests.basic("alice", alice)).status == .noContent)
            #expect(try await registry.request(.post, "/api/v1/packages/alice/app/restore", headers: AuthTests.basic("alice", alice)).status == .noContent)
        }
    }
}
