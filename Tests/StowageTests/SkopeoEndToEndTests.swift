import Foundation
import TestSupport
import Testing

/// skopeo, a real client, against `stowage serve`: push an OCI layout built from real files (a
/// gzip+zstd multi-layer image and a two-platform index), read it back byte for byte, inspect,
/// list tags, delete. `--preserve-digests` forbids skopeo from converting anything, so every
/// digest must survive the round trip.
@Suite("skopeo against stowage serve", .timeLimit(.minutes(1)))
struct SkopeoEndToEndTests {
    /// `skopeo` with the global flags every call needs: no signature policy file is required.
    @discardableResult
    static func skopeo(_ arguments: [String]) async throws -> ExternalTool.Run {
        try await ExternalTool.check("skopeo", ["--insecure-policy"] + arguments, seconds: 40)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-skopeo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func tags(_ run: ExternalTool.Run) throws -> [String] {
        let object = try JSONSerialization.jsonObject(with: run.output) as? [String: Any]
        return ((object?["Tags"] as? [String]) ?? []).sorted()
    }

    @Test(arguments: DatabaseBackend.allCases) func multiLayerImageRoundTrip(_ backend: DatabaseBackend) async throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let layout = try await OCITestLayout.build(in: root)
        let image = layout.image
        #expect(image.layers.map(\.mediaType) == [OCITestLayout.gzipLayerType, OCITestLayout.zstdLayerType, OCITestLayout.gzipLayerType])

        let status = try await ServerProcess.with(arguments: try await backend.serveArguments(), environment: try await backend.serveEnvironment()) { server in
            let remote = "docker://\(server.host)/alice/app/img"
            try await Self.skopeo(["copy", "--preserve-digests", "--dest-tls-verify=false", "oci:\(layout.directory.path):v1", "\(remote):v1"])
            // A second tag of the same image: every blob is already there.
            try await Self.skopeo(["copy", "--preserve-digests", "--dest-tls-verify=false", "oci:\(layout.directory.path):v1", "\(remote):v2"])

            let raw = try await Self.skopeo(["inspect", "--tls-verify=false", "--raw", "\(remote):v1"])
            #expect(raw.output == image.manifest.bytes, "skopeo inspect --raw: \(raw.text)")

            let inspect = try await Self.skopeo(["inspect", "--tls-verify=false", "\(remote):v1"])
            let inspected = try JSONSerialization.jsonObject(with: inspect.output) as? [String: Any]
            #expect(inspected?["Digest"] as? String == image.manifest.digest)
            #expect(inspected?["Architecture"] as? String == "amd64")
            #expect(inspected?["Layers"] as? [String] == image.layers.map(\.digest))

            let tags = try Self.tags(try await Self.skopeo(["list-tags", "--tls-verify=false", remote]))
            #expect(tags == ["v1", "v2"])

            // Back into a fresh layout: the same manifest bytes and every blob, unchanged.
            let out = root.appendingPathComponent("pulled")
            try await Self.skopeo(["copy", "--all", "--preserve-digests", "--src-tls-verify=false", "\(remote):v1", "oci:\(out.path):v1"])
            let pulled = try OCITestLayout.readBlobs(of: out)
            #expect(Set(pulled.keys) == Set(image.blobs.map(\.digest)))
            for blob in image.blobs { #expect(pulled[blob.digest] == blob.bytes, "blob \(blob.digest) (\(blob.mediaType))") }
            let references = try OCITestLayout.references(of: out)
            #expect(references.count == 1)
            #expect(references.first?["digest"] as? String == image.manifest.digest)

            // Plain HTTP: the zstd layer's bytes hash to its digest; the tag names the manifest.
            let zstdLayer = image.layers[1]
            let blob = try await server.request("GET", "/v2/alice/app/img/blobs/\(zstdLayer.digest)")
            #expect(blob.status == 200)
            #expect(OCITestLayout.digest(blob.body) == zstdLayer.digest)
            #expect(blob.body == zstdLayer.bytes)
            let manifest = try await server.request("GET", "/v2/alice/app/img/manifests/v1", accept: OCITestLayout.manifestType)
            #expect(manifest.status == 200)
            #expect(manifest.header("Docker-Content-Digest") == image.manifest.digest)
            #expect(manifest.header("Content-Type") == OCITestLayout.manifestType)

            try await Self.skopeo(["delete", "--tls-verify=false", "\(remote)@\(image.manifest.digest)"])
            let gone = try await server.request("GET", "/v2/alice/app/img/manifests/\(image.manifest.digest)", accept: OCITestLayout.manifestType)
            #expect(gone.status == 404)
            let inspectGone = try await ExternalTool.run("skopeo", ["--insecure-policy", "inspect", "--tls-verify=false", "--raw", "\(remote)@\(image.manifest.digest)"])
            #expect(inspectGone.status != 0)
        }
        #expect(status == 0, "stowage serve should exit 0 on SIGTERM")
    }

    @Test(arguments: DatabaseBackend.allCases) func multiPlatformIndexRoundTrip(_ backend: DatabaseBackend) async throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let layout = try await OCITestLayout.build(in: root)

        let status = try await ServerProcess.with(arguments: try await backend.serveArguments(), environment: try await backend.serveEnvironment()) { server in
            let remote = "docker://\(server.host)/alice/app/multi"
            try await Self.skopeo(["copy", "--all", "--preserve-digests", "--dest-tls-verify=false", "oci:\(layout.directory.path):multi", "\(remote):latest"])

            let raw = try await Self.skopeo(["inspect", "--tls-verify=false", "--raw", "\(remote):latest"])
            #expect(raw.output == layout.index.bytes, "skopeo inspect --raw: \(raw.text)")
            let arm = try await Self.skopeo(["inspect", "--tls-verify=false", "--raw", "\(remote)@\(layout.armImage.manifest.digest)"])
            #expect(arm.output == layout.armImage.manifest.bytes)
            let tags = try Self.tags(try await Self.skopeo(["list-tags", "--tls-verify=false", remote]))
            #expect(tags == ["latest"])

            let out = root.appendingPathComponent("pulled")
            try await Self.skopeo(["copy", "--all", "--preserve-digests", "--src-tls-verify=false", "\(remote):latest", "oci:\(out.path):latest"])
            let pulled = try OCITestLayout.readBlobs(of: out)
            #expect(Set(pulled.keys) == Set(layout.allBlobs.map(\.digest)))
            for blob in layout.allBlobs { #expect(pulled[blob.digest] == blob.bytes, "blob \(blob.digest) (\(blob.mediaType))") }
            #expect(try OCITestLayout.references(of: out).first?["digest"] as? String == layout.index.digest)

            let index = try await server.request("GET", "/v2/alice/app/multi/manifests/latest", accept: OCITestLayout.indexType)
            #expect(index.status == 200)
            #expect(index.body == layout.index.bytes)
            #expect(index.header("Content-Type") == OCITestLayout.indexType)

            try await Self.skopeo(["delete", "--tls-verify=false", "\(remote)@\(layout.index.digest)"])
            let gone = try await server.request("GET", "/v2/alice/app/multi/manifests/\(layout.index.digest)", accept: OCITestLayout.indexType)
            #expect(gone.status == 404)
        }
        #expect(status == 0, "stowage serve should exit 0 on SIGTERM")
    }
}
