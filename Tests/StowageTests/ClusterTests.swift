import BlobStore
import Foundation
import TestSupport
import Testing

/// Two `stowage serve` processes on one PostgreSQL database, each with a data directory of its
/// own for blobs (the shared object store is another issue's): pushes go to one, and everything
/// the metadata says, both agree on at once.
@Suite("Two nodes on one PostgreSQL")
struct ClusterTests {
    @Test func nodesShareTokensPackagesRevocationsAndCollection() async throws {
        let url = try await PostgresTestCluster.createDatabase()
        let arguments = ["--metadata-url", url, "--auth", "token"]
        let first = try await ServerProcess.start(arguments: arguments)
        let second: ServerProcess
        do {
            second = try await ServerProcess.start(arguments: arguments)
        } catch {
            _ = await first.stop()
            throw error
        }
        var failure: (any Error)?
        do {
            try await Self.exercise(first, second, metadataURL: url)
        } catch {
            failure = error
        }
        _ = await first.stop()
        _ = await second.stop()
        if let failure { throw failure }
    }

    private static func exercise(_ first: ServerProcess, _ second: ServerProcess, metadataURL: String) async throws {
        // One first administrator for the cluster: the second node found the user the first made.
        let admin = try #require(first.bootstrapToken)
        #expect(second.bootstrapToken == nil)
        let basic = ["Authorization": "Basic " + Data("admin:\(admin)".utf8).base64EncodedString()]

        // A token issued by one node is accepted by the other: same keys, same accounts.
        let answer = try await first.request("GET", "/token?service=stowage&scope=repository:admin/app:pull,push,delete", headers: basic)
        #expect(answer.status == 200, "\(answer.text)")
        let token = try #require((try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])?["token"] as? String)
        let bearer = ["Authorization": "Bearer \(token)"]
        #expect(try await second.request("GET", "/v2/", headers: bearer).status == 200)

        // Pushed to the first; the second knows the tag and the manifest at once.
        let digest = try await push("admin/app", tag: "v1", to: first, headers: bearer)
        let head = try await second.request("HEAD", "/v2/admin/app/manifests/v1", accept: WireClient.manifestType, headers: bearer)
        #expect(head.status == 200 && head.headers["Docker-Content-Digest"] == digest.description, "\(head.status)")

        // Deleted on the first: gone on the second at once, and restorable there.
        #expect(try await first.request("DELETE", "/api/v1/packages/admin/app", headers: basic).status == 204)
        #expect(try await second.request("HEAD", "/v2/admin/app/manifests/v1", accept: WireClient.manifestType, headers: bearer).status == 404)
        #expect(try await second.request("POST", "/api/v1/packages/admin/app/restore", headers: basic).status == 204)
        #expect(try await first.request("HEAD", "/v2/admin/app/manifests/v1", accept: WireClient.manifestType, headers: bearer).status == 200)

        // Collection asked of both at once runs on one; the other says so and changes nothing.
        async let one = first.request("POST", "/api/v1/gc", headers: basic)
        async let other = second.request("POST", "/api/v1/gc", headers: basic)
        let statuses = [try await one.status, try await other.status]
        #expect(statuses.allSatisfy { $0 == 200 || $0 == 409 } && statuses.contains(200), "\(statuses)")

        // The personal access token revoked (by an admin command against the database): both
        // nodes refuse the access token issued from it at once.
        let id = String(admin.dropFirst("stw_".count).prefix(12))
        let revoke = try await PostgresTestCluster.offPool { try DigestCommandTests.run(["token", "revoke", id, "--metadata-url", metadataURL]) }
        #expect(revoke.status == 0, "\(revoke)")
        #expect(try await first.request("GET", "/v2/", headers: bearer).status == 401)
        #expect(try await second.request("GET", "/v2/", headers: bearer).status == 401)
    }

    /// A one-layer image, pushed monolithically with `headers`; returns the manifest's digest.
    private static func push(_ name: String, tag: String, to server: ServerProcess, headers: [String: String]) async throws -> Digest {
        var descriptors: [String] = []
        var config = ""
        for (index, bytes) in [Data(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8), Data("layer".utf8)].enumerated() {
            let digest = Digest.of(Array(bytes))
            let upload = try await server.request("POST", "/v2/\(name)/blobs/uploads/?digest=\(digest)", headers: headers, body: bytes)
            #expect(upload.status == 201, "\(upload.text)")
            let descriptor = #"{"mediaType":"\#(index == 0 ? "application/vnd.oci.image.config.v1+json" : "application/vnd.oci.image.layer.v1.tar+gzip")","digest":"\#(digest)","size":\#(bytes.count)}"#
            if index == 0 { config = descriptor } else { descriptors.append(descriptor) }
        }
        let manifest = Data(#"{"schemaVersion":2,"mediaType":"\#(WireClient.manifestType)","config":\#(config),"layers":[\#(descriptors.joined(separator: ","))]}"#.utf8)
        var manifestHeaders = headers
        manifestHeaders["Content-Type"] = WireClient.manifestType
        let put = try await server.request("PUT", "/v2/\(name)/manifests/\(tag)", headers: manifestHeaders, body: manifest)
        #expect(put.status == 201, "\(put.text)")
        return Digest.of(Array(manifest))
    }
}
