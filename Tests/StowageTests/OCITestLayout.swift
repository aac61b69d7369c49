import BlobStore
import Foundation

/// A real multi-layer, two-platform image written as an OCI image layout (image-layout spec:
/// `oci-layout`, `index.json`, `blobs/sha256/<hex>`), built from generated files with `tar`,
/// `gzip` and `zstd`, as an image builder would.
///
/// - `image` (linux/amd64, ref name `v1`): a gzip layer, a zstd layer and another gzip layer.
/// - `armImage` (linux/arm64, ref name `arm`): the same first layer and a gzip layer of its own.
/// - `index` (ref name `multi`): an image index listing both with their `platform`.
struct OCITestLayout {
    struct Blob {
        let digest: String
        let mediaType: String
        let bytes: Data
        var descriptor: [String: Any] { ["mediaType": mediaType, "digest": digest, "size": bytes.count] }
    }

    struct Image {
        let manifest: Blob
        let config: Blob
        let layers: [Blob]
        var blobs: [Blob] { [manifest, config] + layers }
    }

    static let manifestType = "application/vnd.oci.image.manifest.v1+json"
    static let indexType = "application/vnd.oci.image.index.v1+json"
    static let configType = "application/vnd.oci.image.config.v1+json"
    static let gzipLayerType = "application/vnd.oci.image.layer.v1.tar+gzip"
    static let zstdLayerType = "application/vnd.oci.image.layer.v1.tar+zstd"

    let directory: URL
    let image: Image
    let armImage: Image
    let index: Blob
    /// Every blob of the layout, each once.
    var allBlobs: [Blob] {
        var seen = Set<String>()
        return ([index] + image.blobs + armImage.blobs).filter { seen.insert($0.digest).inserted }
    }

    static func digest(_ data: Data) -> String { Digest.of(data).description }

    static func json(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// Builds the layout in `root/layout`, using `root/work` for the layers' sources.
    static func build(in root: URL) async throws -> OCITestLayout {
        let work = root.appendingPathComponent("work"), layout = root.appendingPathComponent("layout")
        let blobs = layout.appendingPathComponent("blobs/sha256")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)

        var generator = UInt64(0x5EED)
        func pseudoRandom(_ count: Int) -> Data {
            Data((0..<count).map { _ in
                generator = generator &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: generator >> 56)
            })
        }
        let prose = Data(String(repeating: "Stowage stores layers by digest; every byte counts.\n", count: 400).utf8)

        let base = try await layer("base", in: work, compression: .gzip, files: [
            "etc/os-release": Data("NAME=StowageTest\nVERSION_ID=1\n".utf8),
            "bin/hello.sh": Data("#!/bin/sh\necho hello from stowage\n".utf8),
            "usr/share/doc/stowage/README": prose,
        ])
        let app = try await layer("app", in: work, compression: .zstd, files: [
            "app/main.txt": Data("amd64 application\n".utf8),
            "app/data/blob.bin": pseudoRandom(48 * 1024) + prose,
        ])
        let settings = try await layer("settings", in: work, compression: .gzip, files: [
            "etc/app/config.yaml": Data("listen: 0.0.0.0:8080\nlog: info\n".utf8),
        ])
        let armApp = try await layer("arm-app", in: work, compression: .gzip, files: [
            "app/main.txt": Data("arm64 application\n".utf8),
            "app/data/blob.bin": pseudoRandom(32 * 1024),
        ])

        let image = try makeImage(architecture: "amd64", variant: nil, layers: [base, app, settings])
        let armImage = try makeImage(architecture: "arm64", variant: "v8", layers: [base, armApp])
        var amd64 = image.manifest.descriptor, arm64 = armImage.manifest.descriptor
        amd64["platform"] = ["architecture": "amd64", "os": "linux"]
        arm64["platform"] = ["architecture": "arm64", "os": "linux", "variant": "v8"]
        let indexBytes = try json([
            "schemaVersion": 2, "mediaType": indexType, "manifests": [amd64, arm64],
            "annotations": ["org.opencontainers.image.description": "stowage end-to-end test index"],
        ] as [String: Any])
        let index = Blob(digest: digest(indexBytes), mediaType: indexType, bytes: indexBytes)

        let result = OCITestLayout(directory: layout, image: image, armImage: armImage, index: index)
        for blob in result.allBlobs {
            try blob.bytes.write(to: blobs.appendingPathComponent(String(blob.digest.dropFirst("sha256:".count))))
        }
        var v1 = image.manifest.descriptor, arm = armImage.manifest.descriptor, multi = index.descriptor
        v1["annotations"] = ["org.opencontainers.image.ref.name": "v1"]
        arm["annotations"] = ["org.opencontainers.image.ref.name": "arm"]
        multi["annotations"] = ["org.opencontainers.image.ref.name": "multi"]
        try json(["schemaVersion": 2, "mediaType": indexType, "manifests": [v1, arm, multi]] as [String: Any])
            .write(to: layout.appendingPathComponent("index.json"))
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: layout.appendingPathComponent("oci-layout"))
        return result
    }

    enum Compression { case gzip, zstd }

    /// A layer: the files written under a directory, archived with tar, compressed. Returns the
    /// compressed blob and the diff ID (digest of the uncompressed tar).
    private static func layer(_ name: String, in work: URL, compression: Compression,
                              files: [String: Data]) async throws -> (blob: Blob, diffID: String) {
        let directory = work.appendingPathComponent(name), rootfs = directory.appendingPathComponent("rootfs")
        for (path, contents) in files {
            let url = rootfs.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url)
        }
        let tar = directory.appendingPathComponent("layer.tar")
        try await ExternalTool.check("tar", ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0",
                                             "-C", rootfs.path, "-cf", tar.path, "."])
        let diffID = digest(try Data(contentsOf: tar))
        let compressed: URL, mediaType: String
        switch compression {
        case .gzip:
            try await ExternalTool.check("gzip", ["-n", "-k", "-9", tar.path])
            (compressed, mediaType) = (directory.appendingPathComponent("layer.tar.gz"), gzipLayerType)
        case .zstd:
            compressed = directory.appendingPathComponent("layer.tar.zst")
            try await ExternalTool.check("zstd", ["-q", "-k", "-19", tar.path, "-o", compressed.path])
            mediaType = zstdLayerType
        }
        let bytes = try Data(contentsOf: compressed)
        return (Blob(digest: digest(bytes), mediaType: mediaType, bytes: bytes), diffID)
    }

    private static func makeImage(architecture: String, variant: String?,
                                  layers: [(blob: Blob, diffID: String)]) throws -> Image {
        var config: [String: Any] = [
            "architecture": architecture, "os": "linux",
            "created": "2024-01-01T00:00:00Z",
            "config": [
                "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "Cmd": ["/bin/hello.sh"], "WorkingDir": "/app",
                // What the pages show of a package (and must show as text: the browser test checks).
                "Labels": [
                    "org.opencontainers.image.description": "Demo <script>alert(1)</script> image",
                    "org.opencontainers.image.source": "https://example.com/acme/web",
                ],
            ],
            "rootfs": ["type": "layers", "diff_ids": layers.map { $0.diffID }],
        ]
        if let variant { config["variant"] = variant }
        let configBytes = try json(config)
        let configBlob = Blob(digest: digest(configBytes), mediaType: configType, bytes: configBytes)
        let manifestBytes = try json([
            "schemaVersion": 2, "mediaType": manifestType,
            "config": configBlob.descriptor, "layers": layers.map { $0.blob.descriptor },
            "annotations": ["org.opencontainers.image.title": "stowage-e2e-\(architecture)"],
        ] as [String: Any])
        return Image(manifest: Blob(digest: digest(manifestBytes), mediaType: manifestType, bytes: manifestBytes),
                     config: configBlob, layers: layers.map { $0.blob })
    }

    /// The blobs of a layout a client wrote, by digest, each checked to hash to its name.
    static func readBlobs(of layout: URL) throws -> [String: Data] {
        let directory = layout.appendingPathComponent("blobs/sha256")
        var blobs: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let bytes = try Data(contentsOf: directory.appendingPathComponent(name))
            let digest = "sha256:\(name)"
            guard Self.digest(bytes) == digest else {
                throw ExternalTool.Failure(description: "blob \(digest) in \(layout.path) hashes to \(Self.digest(bytes))")
            }
            blobs[digest] = bytes
        }
        return blobs
    }

    /// The descriptors of a layout's `index.json`.
    static func references(of layout: URL) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: layout.appendingPathComponent("index.json")))
        return ((object as? [String: Any])?["manifests"] as? [[String: Any]]) ?? []
    }
}
