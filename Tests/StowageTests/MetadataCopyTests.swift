import BlobStore
import Foundation
import TestSupport
import Testing

/// `stowage metadata copy`: a single-node registry on SQLite moved to PostgreSQL serves the same
/// tags, manifests, users, tokens, deleted packages and signing keys.
@Suite("stowage metadata copy")
struct MetadataCopyTests {
    @Test func aSQLiteRegistryCopiedToPostgreSQLServesTheSameThings() async throws {
        let url = try await PostgresTestCluster.createDatabase()
        let single = try await ServerProcess.start(arguments: ["--auth", "token"])
        let directory = single.directory
        defer { try? FileManager.default.removeItem(at: directory) }
        let admin = try #require(single.bootstrapToken)
        let basic = Self.basic("admin", admin)
        let pushed = try await Self.push("admin/app", to: single, headers: basic)
        _ = try await Self.push("admin/old", to: single, headers: basic)
        #expect(try await single.request("DELETE", "/api/v1/packages/admin/old", headers: basic).status == 204)
        #expect(try await PostgresTestCluster.offPool { try DigestCommandTests.run(["user", "add", "alice", "--data-dir", single.dataDirectory]) }.status == 0)
        let created = try await PostgresTestCluster.offPool { try DigestCommandTests.run(["token", "create", "--user", "alice", "--scopes", "read:packages", "--data-dir", single.dataDirectory]) }
        let alice = try #require(created.output.split(separator: "\n").first { $0.hasPrefix("stw_") }.map(String.init), "\(created)")
        let issued = try await single.request("GET", "/token?service=stowage&scope=repository:admin/app:pull", headers: basic)
        let bearer = try #require((try JSONSerialization.jsonObject(with: issued.body) as? [String: Any])?["token"] as? String)
        #expect(await single.stop(keepingData: true) == 0)

        let copy = try await PostgresTestCluster.offPool { try DigestCommandTests.run(["metadata", "copy", "--from", "sqlite:\(single.dataDirectory)/metadata.db", "--to", url]) }
        #expect(copy.status == 0 && copy.output.contains("2 repositories"), "\(copy)")
        // Into a database that holds metadata already: refused, and nothing changes.
        let again = try await PostgresTestCluster.offPool { try DigestCommandTests.run(["metadata", "copy", "--from", "sqlite:\(single.dataDirectory)/metadata.db", "--to", url]) }
        #expect(again.status == 1 && again.error.contains("already holds metadata"), "\(again)")

        let moved = try await ServerProcess.start(arguments: ["--auth", "token", "--metadata-url", url], directory: directory)
        var failure: (any Error)?
        do {
            #expect(moved.bootstrapToken == nil)
            // The same keys: a token issued before the move still verifies.
            #expect(try await moved.request("GET", "/v2/", headers: ["Authorization": "Bearer \(bearer)"]).status == 200)
            #expect(try await moved.request("GET", "/v2/", headers: Self.basic("alice", alice)).status == 200)
            let tags = try await moved.request("GET", "/v2/admin/app/tags/list", headers: basic)
            #expect(tags.status == 200 && tags.text.contains(#""v1""#), "\(tags.text)")
            let manifest = try await moved.request("GET", "/v2/admin/app/manifests/v1", accept: WireClient.manifestType, headers: basic)
            #expect(manifest.status == 200 && Digest.of(Array(manifest.body)) == pushed)
            let deleted = try await moved.request("GET", "/api/v1/packages?deleted=true", headers: basic)
            #expect(deleted.status == 200 && deleted.text.contains("admin/old"), "\(deleted.text)")
            #expect(try await moved.request("POST", "/api/v1/packages/admin/old/restore", headers: basic).status == 204)
            #expect(try await moved.request("HEAD", "/v2/admin/old/manifests/v1", accept: WireClient.manifestType, headers: basic).status == 200)
            // New rows get new ids: the identities go on past the copied ones.
            _ = try await Self.push("admin/new", to: moved, headers: basic)
        } catch {
            failure = error
        }
        _ = await moved.stop(keepingData: true)
        if let failure { throw failure }
    }

    static func basic(_ user: String, _ secret: String) -> [String: String] {
        ["Authorization": "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString()]
    }

    /// A one-layer image tagged v1, pushed monolithically; returns the manifest's digest.
    static func push(_ name: String, to server: ServerProcess, headers: [String: String]) async throws -> Digest {
        let config = Data(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8), layer = Data(name.utf8)
        for blob in [config, layer] {
            let upload = try await server.request("POST", "/v2/\(name)/blobs/uploads/?digest=\(Digest.of(Array(blob)))", headers: headers, body: blob)
            #expect(upload.status == 201, "\(upload.text)")
        }
        let manifest = Data(#"{"schemaVersion":2,"mediaType":"\#(WireClient.manifestType)","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(Digest.of(Array(config)))","size":\#(config.count)},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#(Digest.of(Array(layer)))","size":\#(layer.count)}]}"#.utf8)
        var manifestHeaders = headers
        manifestHeaders["Content-Type"] = WireClient.manifestType
        let put = try await server.request("PUT", "/v2/\(name)/manifests/v1", headers: manifestHeaders, body: manifest)
        #expect(put.status == 201, "\(put.text)")
        return Digest.of(Array(manifest))
    }
}
