import BlobStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Registry
import TestSupport
import Testing

/// Deleting and restoring packages and versions, and retention policies, through the management
/// API of a live server; what is deleted disappears from the OCI API at once.
@Suite("Packages: delete, restore, retention")
struct PackageAPITests {
    static func versions(_ registry: RegistryHarness, _ name: String, deleted: Bool = false) async throws -> [[String: Any]] {
        let response = try await registry.request(.get, "/api/v1/packages/\(name)/versions\(deleted ? "?deleted=true" : "")")
        #expect(response.status == .ok, "versions answered \(response.status): \(response.text)")
        return try JSONSerialization.jsonObject(with: Data(response.bytes)) as? [[String: Any]] ?? []
    }

    static func packageNames(_ registry: RegistryHarness, deleted: Bool = false) async throws -> [String] {
        let response = try await registry.request(.get, "/api/v1/packages\(deleted ? "?deleted=true" : "")")
        let list = try JSONSerialization.jsonObject(with: Data(response.bytes)) as? [[String: Any]] ?? []
        return list.compactMap { $0["name"] as? String }
    }

    /// An OCI index of two platform images, each pushed untagged, with the index tagged.
    static func pushIndex(_ registry: RegistryHarness, _ name: String, tag: String) async throws -> (index: Digest, children: [Digest]) {
        var entries: [String] = []
        var children: [Digest] = []
        for (architecture, seed) in [("amd64", 1), ("arm64", 2)] {
            let image = try await registry.pushImage(name, tag: "build-\(architecture)", layers: [Array("layer \(architecture) \(seed)".utf8)])
            try await registry.request(.delete, "/v2/\(name)/manifests/build-\(architecture)")
            children.append(image.digest)
            entries.append(
                #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(image.digest)","size":\#(image.bytes.count),"platform":{"os":"linux","architecture":"\#(architecture)"}}"#)
        }
        let index = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(entries.joined(separator: ","))]}"#.utf8)
        let response = try await registry.request(
            .put, "/v2/\(name)/manifests/\(tag)", headers: [.contentType: "application/vnd.oci.image.index.v1+json"], body: index)
        #expect(response.status == .created, "index push answered \(response.status): \(response.text)")
        return (Digest.of(index), children)
    }

    @Test(arguments: DatabaseBackend.allCases) func deletingAVersionHidesItAtOnceAndRestoringBringsItBackWithItsTags(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let image = try await registry.pushImage("octo/app/web", tag: "v1", layers: [Array("one".utf8)])
            try await registry.request(.put, "/v2/octo/app/web/manifests/latest", headers: [.contentType: "application/vnd.oci.image.manifest.v1+json"], body: image.bytes)
            let listed = try await Self.versions(registry, "octo/app/web")
            #expect(listed.count == 1)
            #expect(listed.first?["digest"] as? String == image.digest.description)
            #expect(listed.first?["tags"] as? [String] == ["latest", "v1"])
            #expect(listed.first?["platforms"] as? [String] == ["linux/amd64"])
            #expect((listed.first?["size"] as? Int ?? 0) > image.bytes.count)

            let deleted = try await registry.request(.delete, "/api/v1/packages/octo/app/web/versions/\(image.digest)")
            #expect(deleted.status == .noContent)
            #expect(try await registry.request(.get, "/v2/octo/app/web/manifests/v1").status == .notFound)
            #expect(try await registry.request(.head, "/v2/octo/app/web/manifests/\(image.digest)").status == .notFound)
            #expect(try await registry.request(.get, "/v2/octo/app/web/tags/list").text.contains("v1") == false)
            #expect(try await Self.versions(registry, "octo/app/web").isEmpty)
            let gone = try await Self.versions(registry, "octo/app/web", deleted: true)
            #expect(gone.first?["digest"] as? String == image.digest.description)
            #expect(gone.first?["tags"] as? [String] == ["latest", "v1"])
            #expect(try await registry.request(.delete, "/api/v1/packages/octo/app/web/versions/\(image.digest)").status == .notFound)

            let restored = try await registry.request(.post, "/api/v1/packages/octo/app/web/versions/\(image.digest)/restore")
            #expect(restored.status == .noContent, "\(restored.text)")
            let pulled = try await registry.request(.get, "/v2/octo/app/web/manifests/v1", headers: [.accept: "application/vnd.oci.image.manifest.v1+json"])
            #expect(pulled.status == .ok && pulled.bytes == image.bytes)
            #expect(try await registry.request(.get, "/v2/octo/app/web/manifests/latest").status == .ok)
            let again = try await registry.request(.post, "/api/v1/packages/octo/app/web/versions/\(image.digest)/restore")
            #expect(again.status == .conflict && again.text.contains("not deleted"))
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func theOCIDeleteOfAManifestIsARestorableVersionDeletion(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let image = try await registry.pushImage("octo/app", tag: "v1", layers: [Array("l".utf8)])
            #expect(try await registry.request(.delete, "/v2/octo/app/manifests/\(image.digest)").status == .accepted)
            #expect(try await registry.request(.get, "/v2/octo/app/manifests/v1").status == .notFound)
            #expect(try await registry.request(.post, "/api/v1/packages/octo/app/versions/\(image.digest)/restore").status == .noContent)
            #expect(try await registry.request(.get, "/v2/octo/app/manifests/v1").status == .ok)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func aReusedTagBlocksTheRestoreOfAVersion(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let first = try await registry.pushImage("octo/app", tag: "latest", layers: [Array("first".utf8)])
            try await registry.request(.delete, "/api/v1/packages/octo/app/versions/\(first.digest)")
            _ = try await registry.pushImage("octo/app", tag: "latest", layers: [Array("second".utf8)])

            let refused = try await registry.request(.post, "/api/v1/packages/octo/app/versions/\(first.digest)/restore")
            #expect(refused.status == .conflict)
            #expect(refused.text.contains("the tag latest names another version"))
            #expect(try await Self.versions(registry, "octo/app", deleted: true).count == 1)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func deletingAPackageHidesEverythingAndAReusedNameBlocksItsRestore(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let image = try await registry.pushImage("octo/app/web", tag: "v1", layers: [Array("web".utf8)])
            _ = try await registry.pushImage("octo/app/api", tag: "v1", layers: [Array("api".utf8)])
            #expect(try await registry.request(.delete, "/api/v1/packages/octo/app/web").status == .noContent)

            #expect(try await registry.request(.get, "/v2/octo/app/web/manifests/v1").status == .notFound)
            #expect(try await registry.request(.get, "/v2/octo/app/web/tags/list").status == .notFound)
            #expect(!(try await registry.request(.get, "/v2/_catalog").text.contains("octo/app/web")))
            #expect(try await Self.packageNames(registry) == ["octo/app/api"])
            #expect(try await Self.packageNames(registry, deleted: true) == ["octo/app/web"])
            #expect(try await registry.request(.delete, "/api/v1/packages/octo/app/web").status == .notFound)

            #expect(try await registry.request(.post, "/api/v1/packages/octo/app/web/restore").status == .noContent)
            let pulled = try await registry.request(.get, "/v2/octo/app/web/manifests/v1")
            #expect(pulled.status == .ok && pulled.bytes == image.bytes)
            #expect(try await registry.request(.post, "/api/v1/packages/octo/app/web/restore").status == .conflict)

            try await registry.request(.delete, "/api/v1/packages/octo/app/web")
            _ = try await registry.pushImage("octo/app/web", tag: "v2", layers: [Array("new web".utf8)])
            let refused = try await registry.request(.post, "/api/v1/packages/octo/app/web/restore")
            #expect(refused.status == .conflict && refused.text.contains("used by a new package"))
            #expect(try await registry.request(.get, "/v2/octo/app/web/manifests/v1").status == .notFound)
            #expect(try await registry.request(.get, "/v2/octo/app/web/manifests/v2").status == .ok)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func nothingIsRestoredOnceTheWindowHasPassed(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend, configure: { $0.registry.collection.restoreWindow = 0 }) { registry in
            let image = try await registry.pushImage("octo/app", tag: "v1", layers: [Array("l".utf8)])
            try await registry.request(.delete, "/api/v1/packages/octo/app/versions/\(image.digest)")
            try await Task.sleep(for: .milliseconds(1100))
            let refused = try await registry.request(.post, "/api/v1/packages/octo/app/versions/\(image.digest)/restore")
            #expect(refused.status == .gone)
            #expect(refused.errorCode == "DENIED")
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func deletingAnIndexTakesItsPlatformsAlongAndRestoresThem(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let (index, children) = try await Self.pushIndex(registry, "octo/multi", tag: "v1")
            let versions = try await Self.versions(registry, "octo/multi")
            #expect(versions.map { $0["digest"] as? String } == [index.description], "platform manifests are not versions")
            #expect(versions.first?["platforms"] as? [String] == ["linux/amd64", "linux/arm64"])

            try await registry.request(.delete, "/api/v1/packages/octo/multi/versions/\(index)")
            for child in children {
                #expect(try await registry.request(.head, "/v2/octo/multi/manifests/\(child)").status == .notFound)
            }
            try await registry.request(.post, "/api/v1/packages/octo/multi/versions/\(index)/restore")
            for child in children {
                #expect(try await registry.request(.head, "/v2/octo/multi/manifests/\(child)").status == .ok)
            }
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func retentionDeletesOldUntaggedVersionsButNeverIndexChildrenOrReferrers(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let (_, children) = try await Self.pushIndex(registry, "octo/app", tag: "v1")
            let untagged = try await registry.pushImage("octo/app", tag: "scratch", layers: [Array("old".utf8)])
            try await registry.request(.delete, "/v2/octo/app/manifests/scratch")
            let signature = try await registry.pushImage(
                "octo/app", tag: "sig", layers: [Array("signature".utf8)],
                extra: #","subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(children[0])","size":1}"#)
            try await registry.request(.delete, "/v2/octo/app/manifests/sig")

            let set = try await registry.request(.put, "/api/v1/retention/octo", body: Array(#"{"untaggedDays":0}"#.utf8))
            #expect(set.status == .noContent, "\(set.text)")
            try await Task.sleep(for: .milliseconds(1100))
            let report = try await registry.service.collector.run()

            #expect(report.retained.map(\.digest) == [untagged.digest.description])
            #expect(try await registry.request(.head, "/v2/octo/app/manifests/\(untagged.digest)").status == .notFound)
            for kept in children + [signature.digest] {
                #expect(try await registry.request(.head, "/v2/octo/app/manifests/\(kept)").status == .ok)
            }
            // Retention deletes restorably, like a person would.
            #expect(try await registry.request(.post, "/api/v1/packages/octo/app/versions/\(untagged.digest)/restore").status == .noContent)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func retentionKeepsTheLastVersionsOfAPackageBeforeItsOwnersPolicy(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            var pushed: [Digest] = []
            for number in 1...4 {
                pushed.append(try await registry.pushImage("octo/app", tag: "v\(number)", layers: [Array("layer \(number)".utf8)]).digest)
                try await Task.sleep(for: .milliseconds(1010))
            }
            try await registry.request(.put, "/api/v1/retention/octo", body: Array(#"{"keepLast":3}"#.utf8))
            try await registry.request(.put, "/api/v1/retention/octo/app", body: Array(#"{"keepLast":2}"#.utf8))
            let policies = try await registry.request(.get, "/api/v1/retention")
            #expect(policies.text.contains("\"scope\":\"octo/app\"") && policies.text.contains("\"keepLast\":3"))

            let dry = try await registry.service.collector.run(dryRun: true)
            #expect(Set(dry.retained.map(\.digest)) == Set(pushed[0...1].map(\.description)))
            #expect(try await Self.versions(registry, "octo/app").count == 4, "a dry run changes nothing")

            _ = try await registry.service.collector.run()
            let live = try await Self.versions(registry, "octo/app").compactMap { $0["digest"] as? String }
            #expect(live == [pushed[3], pushed[2]].map(\.description))

            try await registry.request(.delete, "/api/v1/retention/octo/app")
            #expect(try await registry.request(.get, "/api/v1/retention").text.contains("octo/app") == false)
            let bad = try await registry.request(.put, "/api/v1/retention/octo", body: Array(#"{"keepLast":0}"#.utf8))
            #expect(bad.status == .badRequest)
        }
    }
}
