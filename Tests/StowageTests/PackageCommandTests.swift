import Foundation
import Testing

/// `stowage package list|versions|delete|restore|retention` beside a running server, and
/// `stowage gc`, which needs the data directory to itself.
@Suite("stowage package and gc")
struct PackageCommandTests {
    @Test func packagesAreListedDeletedAndRestoredBesideTheServerThenCollectedOffline() async throws {
        let server = try await ServerProcess.start(environment: ["STOWAGE_GC_INTERVAL": "0"])
        defer { try? FileManager.default.removeItem(at: server.directory) }
        let data = server.dataDirectory
        func stowage(_ arguments: String...) throws -> DigestCommandTests.Run {
            try DigestCommandTests.run(arguments + ["--data-dir", data], environment: ["STOWAGE_GC_GRACE_PERIOD": "0"])
        }
        let client = WireClient(server: server)
        let image = try await client.pushImage("octo/app/web", tag: "v1", layers: [Data("layer".utf8)], seed: "web")

        let list = try stowage("package", "list")
        #expect(list.status == 0 && list.output.contains("octo/app/web"), "\(list.error)")
        let versions = try stowage("package", "versions", "octo/app/web")
        #expect(versions.output.contains(image.digest.description) && versions.output.contains("v1"))
        #expect(versions.output.contains("linux/amd64"))
        let json = try stowage("package", "versions", "octo/app/web", "--json")
        let parsed = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]]
        #expect(parsed?.first?["tags"] as? [String] == ["v1"])

        #expect(try stowage("package", "delete", "octo/app/web", "--version", image.digest.description).status == 0)
        #expect(try await server.request("GET", "/v2/octo/app/web/manifests/v1", accept: WireClient.manifestType).status == 404)
        #expect(try stowage("package", "versions", "octo/app/web", "--deleted").output.contains(image.digest.description))
        #expect(try stowage("package", "restore", "octo/app/web", "--version", image.digest.description).status == 0)
        #expect(try await server.request("GET", "/v2/octo/app/web/manifests/v1", accept: WireClient.manifestType).status == 200)
        let twice = try stowage("package", "restore", "octo/app/web", "--version", image.digest.description)
        #expect(twice.status == 1 && twice.error.contains("is not deleted"))

        #expect(try stowage("package", "retention", "octo", "--untagged-days", "7").status == 0)
        let policies = try stowage("package", "retention")
        #expect(policies.output.contains("octo") && policies.output.contains("7"))
        #expect(try stowage("package", "retention", "octo", "--remove").status == 0)
        #expect(!(try stowage("package", "retention").output.contains("octo ")))

        #expect(try stowage("package", "delete", "octo/app/web").status == 0)
        #expect(try stowage("package", "list", "--deleted").output.contains("octo/app/web"))
        let busy = try stowage("gc")
        #expect(busy.status == 1 && busy.error.contains("/api/v1/gc"), "\(busy.error)")
        #expect(await server.stop(keepingData: true) == 0)

        // Offline now; the package's window has not passed, so nothing it holds is garbage yet.
        let dry = try stowage("gc", "--dry-run", "--json")
        #expect(dry.status == 0, "\(dry.error)")
        // One report, the object POST /api/v1/gc answers with.
        let report = try JSONSerialization.jsonObject(with: Data(dry.output.utf8)) as? [String: Any]
        #expect(report?["dryRun"] as? Bool == true)
        #expect(report?["markedBlobs"] as? Int == image.blobs.count + 1)
        let run = try stowage("gc")
        #expect(run.status == 0 && run.output.contains("marked"), "\(run.error)")
    }
}
