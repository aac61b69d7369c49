@testable import BlobStore
import Foundation
import TestSupport
@testable import Registry
import Testing

/// A real data directory, written through the engine and the registry's metadata store as the
/// server writes it:
///
/// - `acme/app:v1`: an image whose config is stored as a zstd frame, a small layer in a shared
///   pack and a 2.5 MiB layer in a solo pack;
/// - `acme/app:multi`: an index naming that image;
/// - `acme/web:latest`: an image with a real gzip layer (made by `gzip`), whose config's
///   `rootfs.diff_ids` is right unless `wrongDiffID` is set.
final class FsckFixture: Sendable {
    struct Image: Sendable {
        let manifest: Digest
        let config: Digest
        let layers: [Digest]
        var blobs: [Digest] { [manifest, config] + layers }
    }

    let root: String
    let app: Image
    let web: Image
    let index: Digest
    let blobs: [Digest: [UInt8]]

    var data: String { root + "/data" }
    var publishedIndex: String { data + "/index/current.idx" }

    private init(root: String, app: Image, web: Image, index: Digest, blobs: [Digest: [UInt8]]) {
        self.root = root
        self.app = app
        self.web = web
        self.index = index
        self.blobs = blobs
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    static func make(wrongDiffID: Bool = false) async throws -> FsckFixture {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-fsck-\(UUID().uuidString)").path
        let data = root + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let store = try await BlobStore.open(at: data)
        let metadata = Metadata(database: try SQLiteDatabase(path: RegistryServer.Configuration.metadataPath(in: data)))
        var writer = Writer(store: store, metadata: metadata)

        var random = Random(seed: 7)
        let small = random.bytes(8 << 10), large = random.bytes(5 << 19)
        let app = try await writer.image(
            "acme/app", tag: "v1", layers: [(small, Digest.of(small)), (large, Digest.of(large))],
            history: String(repeating: "RUN make install # a step of the build\n", count: 80))
        let indexBytes = try json([
            "schemaVersion": 2, "mediaType": ManifestKind.ociIndex.mediaType,
            "manifests": [["mediaType": ManifestKind.ociImage.mediaType, "digest": "\(app.manifest)",
                           "size": writer.blobs[app.manifest]!.count,
                           "platform": ["os": "linux", "architecture": "amd64"]] as [String: Any]],
        ])
        let index = try await writer.manifest(indexBytes, tag: "multi", in: "acme/app")

        let tar = random.bytes(20 << 10) + Array(repeating: 0, count: 4 << 10)
        let gzipped = try gzip(tar, in: root)
        let diffID = wrongDiffID ? Digest.of(Array("not this layer".utf8)) : Digest.of(tar)
        let web = try await writer.image("acme/web", tag: "latest", layers: [(gzipped, diffID)], history: "")
        try await store.close()
        return FsckFixture(root: root, app: app, web: web, index: index, blobs: writer.blobs)
    }

    /// Pushes blobs and manifests the way the registry's routes do: store, link, record.
    private struct Writer {
        let store: BlobStore
        let metadata: Metadata
        var blobs: [Digest: [UInt8]] = [:]

        mutating func blob(_ bytes: [UInt8], in repository: String) async throws -> Digest {
            let info = try await store.put(bytes)
            try await metadata.blobLinks.linkBlob(info.digest, size: info.size, in: RepositoryName(parsing: repository))
            blobs[info.digest] = bytes
            return info.digest
        }

        mutating func manifest(_ bytes: [UInt8], tag: String, in repository: String) async throws -> Digest {
            let parsed = try ManifestParser.parse(bytes, contentType: nil)
            let info = try await store.put(bytes)
            blobs[info.digest] = bytes
            try await metadata.manifests.putManifest(
                ManifestRecord(
                    digest: info.digest, mediaType: parsed.mediaType, size: info.size, artifactType: parsed.artifactType,
                    subject: parsed.subject?.digest, annotations: parsed.annotations, blobs: parsed.blobs,
                    children: parsed.children, created: 1_700_000_000),
                tags: [tag], in: RepositoryName(parsing: repository), requiring: [])
            return info.digest
        }

        mutating func image(
            _ repository: String, tag: String, layers: [(bytes: [UInt8], diffID: Digest)], history: String
        ) async throws -> Image {
            var layerDigests: [Digest] = []
            for layer in layers { layerDigests.append(try await blob(layer.bytes, in: repository)) }
            let config = try json([
                "architecture": "amd64", "os": "linux", "comment": history,
                "rootfs": ["type": "layers", "diff_ids": layers.map { "\($0.diffID)" }],
            ])
            let configDigest = try await blob(config, in: repository)
            let descriptors = zip(layers, layerDigests).map { layer, digest in
                ["mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "\(digest)", "size": layer.bytes.count] as [String: Any]
            }
            let manifest = try json([
                "schemaVersion": 2, "mediaType": ManifestKind.ociImage.mediaType,
                "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": "\(configDigest)", "size": config.count],
                "layers": descriptors,
            ])
            let digest = try await self.manifest(manifest, tag: tag, in: repository)
            return Image(manifest: digest, config: configDigest, layers: layerDigests)
        }
    }

    private static func json(_ object: [String: Any]) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    /// A real gzip stream of `bytes`, made by the host's gzip.
    private static func gzip(_ bytes: [UInt8], in directory: String) throws -> [UInt8] {
        let path = directory + "/layer.tar"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let run = try ChildRun.run(URL(fileURLWithPath: "/usr/bin/env"), ["gzip", "-n", "-f", path])
        try #require(run.status == 0, "\(run)")
        defer { try? FileManager.default.removeItem(atPath: path + ".gz") }
        return Array(try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
    }

    // MARK: Faults

    /// Where the published index says the blob's record is, and the pack file's path.
    func location(of digest: Digest) throws -> (pack: String, location: BlobLocation) {
        let location = try #require(try IndexFile.load(publishedIndex).lookup(digest), "\(digest) is not indexed")
        return (DataDirectory(root: data).packPath(location.packID), location)
    }

    func flipBit(in path: String, at offset: UInt64) throws {
        try flipByte(atPath: path, offset: offset, mask: 0x10)
    }

    func truncate(_ path: String, to size: UInt64) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.truncate(atOffset: size)
    }

    func size(of path: String) throws -> UInt64 {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber).uint64Value
    }

    /// Runs SQL on the metadata database with foreign keys off, as a damaged or hand-edited
    /// database would be.
    func sql(_ statements: String) throws {
        let connection = try SQLiteConnection(path: RegistryServer.Configuration.metadataPath(in: data), readOnly: false)
        try connection.execute("PRAGMA foreign_keys = OFF; " + statements)
    }

    // MARK: After a repair

    /// Opens the store as the server does and reads back every blob but `lost`, each checked
    /// against its digest; the lost ones must not be served.
    func expectIntact(except lost: Set<Digest>) async throws {
        let store = try await BlobStore.open(at: data)
        for (digest, bytes) in blobs {
            if lost.contains(digest) {
                #expect(!store.contains(digest), "\(digest) is still served")
            } else {
                let read = try await store.bytes(of: digest)
                #expect(read == bytes && Digest.of(read) == digest, "\(digest) does not read back")
            }
        }
        try await store.close()
    }
}

/// Bytes that do not compress, the same each run (xorshift64*).
struct Random {
    private var state: UInt64

    init(seed: UInt64) { state = seed | 1 }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var words = [UInt64](repeating: 0, count: (count + 7) / 8)
        for index in words.indices {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            words[index] = state &* 0x2545_f491_4f6c_dd1d
        }
        return words.withUnsafeBytes { Array($0.prefix(count)) }
    }
}
