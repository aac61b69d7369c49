import Foundation
import Testing

/// oras-py (PyPI `oras` 0.2.43), a second real client, pushing artifacts whose `subject` is an
/// image skopeo pushed; the referrers API must list them, and filter them by artifact type.
@Suite("oras-py referrers against stowage serve", .timeLimit(.minutes(1)))
struct OrasEndToEndTests {
    /// Fails with an install hint unless python3 can import oras.
    static func requireOras() async throws {
        let probe = try await ExternalTool.run("python3", ["-c", "import oras.provider, oras.version; print(oras.version.__version__)"])
        guard probe.status == 0 else {
            throw ExternalTool.Failure(description: "python3 cannot import oras (install it: pip install oras==0.2.43); these end-to-end tests do not skip without it\n\(probe.error)")
        }
    }

    static func referrers(_ server: ServerProcess, _ path: String) async throws -> (ServerProcess.Response, [[String: Any]]) {
        let response = try await server.request("GET", path)
        let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        return (response, (object?["manifests"] as? [[String: Any]]) ?? [])
    }

    @Test func artifactsWithSubjectAreReferrers() async throws {
        try await Self.requireOras()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-oras-\(UUID().uuidString)")
        let work = root.appendingPathComponent("oras")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let layout = try await OCITestLayout.build(in: root)
        let image = layout.image.manifest
        let script = root.appendingPathComponent("push_referrers.py")
        try Data(OrasPushScript.source.utf8).write(to: script)

        let status = try await ServerProcess.with { server in
            try await SkopeoEndToEndTests.skopeo(["copy", "--preserve-digests", "--dest-tls-verify=false",
                                                  "oci:\(layout.directory.path):v1", "docker://\(server.host)/alice/app/img:v1"])
            let (before, none) = try await Self.referrers(server, "/v2/alice/app/img/referrers/\(image.digest)")
            #expect(before.status == 200)
            #expect(none.isEmpty)

            // oras-py's path validation wants its files under the working directory.
            let push = try await ExternalTool.check("python3", [script.path, server.host, "alice/app/img", image.digest,
                                                               "\(image.bytes.count)", image.mediaType],
                                                    in: work, environment: ["PYTHONDONTWRITEBYTECODE": "1"], seconds: 40)
            let pushed = try JSONSerialization.jsonObject(with: push.output) as? [String: Any]
            let sbom = try #require(pushed?["sbom"] as? String, "no digest for the sbom push: \(push)")
            let signature = try #require(pushed?["signature"] as? String, "no digest for the signature push: \(push)")
            #expect(pushed?["sbomSubject"] as? String == image.digest, "OCI-Subject on the manifest PUT")
            #expect(pushed?["signatureSubject"] as? String == image.digest, "OCI-Subject on the manifest PUT")

            let (all, manifests) = try await Self.referrers(server, "/v2/alice/app/img/referrers/\(image.digest)")
            #expect(all.status == 200)
            #expect(all.header("Content-Type") == OCITestLayout.indexType)
            let byDigest = Dictionary(manifests.map { ($0["digest"] as? String ?? "", $0) }) { first, _ in first }
            #expect(Set(byDigest.keys) == [sbom, signature])
            #expect(byDigest[sbom]?["artifactType"] as? String == "application/vnd.example.sbom")
            #expect(byDigest[signature]?["artifactType"] as? String == "application/vnd.example.signature")
            #expect(byDigest[sbom]?["mediaType"] as? String == OCITestLayout.manifestType)
            #expect((byDigest[sbom]?["annotations"] as? [String: String])?["org.example.kind"] == "sbom")

            // Each descriptor's size is that of the manifest the registry serves under its digest.
            for (digest, descriptor) in byDigest {
                let manifest = try await server.request("GET", "/v2/alice/app/img/manifests/\(digest)", accept: OCITestLayout.manifestType)
                #expect(manifest.status == 200)
                #expect(OCITestLayout.digest(manifest.body) == digest)
                #expect(descriptor["size"] as? Int == manifest.body.count)
                let subject = (try JSONSerialization.jsonObject(with: manifest.body) as? [String: Any])?["subject"] as? [String: Any]
                #expect(subject?["digest"] as? String == image.digest)
            }

            let (filtered, only) = try await Self.referrers(
                server, "/v2/alice/app/img/referrers/\(image.digest)?artifactType=application%2Fvnd.example.sbom")
            #expect(filtered.status == 200)
            #expect(filtered.header("OCI-Filters-Applied") == "artifactType")
            #expect(only.compactMap { $0["digest"] as? String } == [sbom])

            let (_, unmatched) = try await Self.referrers(
                server, "/v2/alice/app/img/referrers/\(image.digest)?artifactType=application%2Fvnd.example.nothing")
            #expect(unmatched.isEmpty)
        }
        #expect(status == 0, "stowage serve should exit 0 on SIGTERM")
    }
}
