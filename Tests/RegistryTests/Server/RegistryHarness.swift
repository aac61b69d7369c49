import BlobStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Registry
import TestSupport

/// A real registry on an ephemeral loopback port over a fresh data directory, and helpers that
/// speak the distribution protocol to it.
struct RegistryHarness {
    let client: any TestClientProtocol
    let service: RegistryService
    /// The server's data directory.
    let directory: String
    /// The bucket the blobs go to, on the cluster backend.
    let bucket: RadosgwTestCluster.Bucket?

    /// `backend` chooses where the metadata lives: the data directory's SQLite file, or a fresh
    /// database on the test PostgreSQL server.
    static func run(
        backend: DatabaseBackend = .sqlite,
        configure: (inout RegistryServer.Configuration) -> Void = { _ in },
        logs: LogCapture? = nil,
        accessLog: AccessLog? = nil,
        _ body: @escaping @Sendable (RegistryHarness) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-registry-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = RegistryServer.Configuration()
        configuration.dataDirectory = directory
        configuration.port = 0
        let database = try await ScratchDatabase(backend)
        if backend != .sqlite { configuration.metadataURL = try database.url }
        let bucket = backend == .cluster ? try await RadosgwTestCluster.freshBucket() : nil
        if let fresh = bucket {
            configuration.objectStorage.endpoint = fresh.settings.endpoint
            configuration.objectStorage.bucket = fresh.name
            configuration.objectStorage.accessKeyID = fresh.endpoint.accessKeyID
            configuration.objectStorage.secretAccessKey = fresh.endpoint.secretAccessKey
        }
        configure(&configuration)
        var logger = logs?.logger() ?? Logger(label: "test")
        if logs == nil { logger.logLevel = .warning }
        let server = RegistryServer(configuration: configuration, logger: logger)
        let service = try await server.openService()
        do {
            try await server.application(service, accessLog: accessLog).test(.live) { client in
                try await body(RegistryHarness(client: client, service: service, directory: directory, bucket: bucket))
            }
        } catch {
            try await service.store.close()
            throw error
        }
        try await service.store.close()
    }

    @discardableResult
    func request(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: [UInt8]? = nil) async throws -> TestResponse {
        try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
    }

    /// Pushes a blob monolithically and returns its digest.
    @discardableResult
    func pushBlob(_ bytes: [UInt8], to name: String, headers: HTTPFields = [:]) async throws -> Digest {
        let digest = Digest.of(bytes)
        let response = try await request(.post, "/v2/\(name)/blobs/uploads/?digest=\(digest)", headers: headers, body: bytes)
        guard response.status == .created else { throw Failure("push of \(digest) answered \(response.status)") }
        return digest
    }

    /// An OCI image manifest over freshly pushed config and layers (or layers the repository
    /// should hold already, without `pushLayers`).
    @discardableResult
    func pushImage(
        _ name: String, tag: String, layers: [[UInt8]], extra: String = "", headers: HTTPFields = [:], pushLayers: Bool = true
    ) async throws -> (digest: Digest, bytes: [UInt8]) {
        let config = Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8)
        let configDigest = try await pushBlob(config, to: name, headers: headers)
        var descriptors: [String] = []
        for layer in layers {
            let digest = pushLayers ? try await pushBlob(layer, to: name, headers: headers) : Digest.of(layer)
            descriptors.append(#"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#(digest)","size":\#(layer.count)}"#)
        }
        let manifest = Array("""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(configDigest)","size":\(config.count)},"layers":[\(descriptors.joined(separator: ","))]\(extra)}
            """.utf8)
        var manifestHeaders = headers
        manifestHeaders[.contentType] = "application/vnd.oci.image.manifest.v1+json"
        let response = try await request(.put, "/v2/\(name)/manifests/\(tag)", headers: manifestHeaders, body: manifest)
        guard response.status == .created else { throw Failure("manifest push answered \(response.status): \(response.text)") }
        return (Digest.of(manifest), manifest)
    }

    /// The `code` of the first error in an OCI error body.
    static func errorCode(in body: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let errors = object["errors"] as? [[String: Any]] else { return nil }
        return errors.first?["code"] as? String
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var bytes: [UInt8] { Array(body.readableBytesView) }

    var errorCode: String? { RegistryHarness.errorCode(in: bytes) }

    func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
}
