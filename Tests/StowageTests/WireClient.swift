import BlobStore
import Foundation

/// Pushes and pulls images over plain HTTP, as docker does it: HEAD a blob before uploading it,
/// then PUT the manifest; a pull fetches the manifest and every blob and checks each digest.
/// Every answer the protocol does not expect becomes an error that names it.
struct WireClient: Sendable {
    let server: ServerProcess

    struct Unexpected: Error, CustomStringConvertible {
        let description: String
    }

    static let manifestType = "application/vnd.oci.image.manifest.v1+json"

    /// Uploads the blob unless the repository already has it; returns its digest.
    @discardableResult
    func pushBlob(_ bytes: Data, to name: String) async throws -> Digest {
        let digest = Digest.of(Array(bytes))
        if try await server.request("HEAD", "/v2/\(name)/blobs/\(digest)").status == 200 { return digest }
        let response = try await server.request("POST", "/v2/\(name)/blobs/uploads/?digest=\(digest)", body: bytes)
        guard response.status == 201 else { throw Unexpected(description: "upload of \(digest) to \(name): \(response.status) \(response.text)") }
        return digest
    }

    /// An image over `layers` (and a config naming `seed`), tagged `tag`.
    func pushImage(_ name: String, tag: String, layers: [Data], seed: String) async throws -> (digest: Digest, blobs: [Digest]) {
        let config = Data(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"seed":"\#(seed)"}"#.utf8)
        let configDigest = try await pushBlob(config, to: name)
        var blobs = [configDigest]
        var descriptors: [String] = []
        for layer in layers {
            let digest = try await pushBlob(layer, to: name)
            blobs.append(digest)
            descriptors.append(#"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#(digest)","size":\#(layer.count)}"#)
        }
        let manifest = Data("""
            {"schemaVersion":2,"mediaType":"\(Self.manifestType)","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(configDigest)","size":\(config.count)},"layers":[\(descriptors.joined(separator: ","))]}
            """.utf8)
        let response = try await server.request("PUT", "/v2/\(name)/manifests/\(tag)", headers: ["Content-Type": Self.manifestType], body: manifest)
        guard response.status == 201 else { throw Unexpected(description: "manifest PUT \(name):\(tag): \(response.status) \(response.text)") }
        return (Digest.of(Array(manifest)), blobs)
    }

    /// Pulls the manifest and every blob it names, checking every digest.
    func pull(_ name: String, _ digest: Digest) async throws {
        let manifest = try await server.request("GET", "/v2/\(name)/manifests/\(digest)", accept: Self.manifestType)
        guard manifest.status == 200, Digest.of(Array(manifest.body)) == digest else {
            throw Unexpected(description: "manifest GET \(name)@\(digest): \(manifest.status) \(manifest.text)")
        }
        let object = try JSONSerialization.jsonObject(with: manifest.body) as? [String: Any] ?? [:]
        let descriptors = [object["config"] as? [String: Any]].compactMap { $0 } + (object["layers"] as? [[String: Any]] ?? [])
        for descriptor in descriptors {
            let blob = try Digest(parsing: descriptor["digest"] as? String ?? "")
            let response = try await server.request("GET", "/v2/\(name)/blobs/\(blob)")
            guard response.status == 200, Digest.of(Array(response.body)) == blob else {
                throw Unexpected(description: "blob GET \(name)@\(blob): \(response.status) \(response.text)")
            }
        }
    }

    func collect(dryRun: Bool = false) async throws -> [String: Any] {
        let response = try await server.request("POST", "/api/v1/gc\(dryRun ? "?dry_run=true" : "")")
        guard response.status == 200 else { throw Unexpected(description: "gc: \(response.status) \(response.text)") }
        return try JSONSerialization.jsonObject(with: response.body) as? [String: Any] ?? [:]
    }
}

extension ServerProcess.Response {
    var text: String { String(decoding: body, as: UTF8.self) }
}
