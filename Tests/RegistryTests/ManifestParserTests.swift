import BlobStore
import Registry
import Testing

@Suite("Manifest parsing")
struct ManifestParserTests {
    // emptyConfig is the real digest of `{}`, the OCI empty descriptor; the others are arbitrary.
    static let configDigest = "sha256:b6a8a1ecd0f1ab23d5b1d7c4b4a1f0fbd9c7a6f0e6d3f2b0b8d6e1c5a4f3e2d1"
    static let layerA = "sha256:2c6d21737d8349c1c0aa2c6d1fc8d2c5d9b0a9f7d4c8a3bd0b7e2f3c9e1f6a5b"
    static let layerB = "sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1"
    static let amd64 = "sha256:a1e7d4c9b2f3e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3"
    static let arm64 = "sha256:f0e1d2c3b4a5968778695a4b3c2d1e0f0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    static let emptyConfig = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

    static let ociImage = """
        {
          "schemaVersion": 2,
          "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "\(configDigest)",
            "size": 1472
          },
          "layers": [
            {
              "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
              "digest": "\(layerA)",
              "size": 3623807
            },
            {
              "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
              "digest": "\(layerB)",
              "size": 32
            },
            {
              "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
              "digest": "\(layerB)",
              "size": 32
            }
          ],
          "annotations": { "org.opencontainers.image.created": "2024-05-01T12:00:00Z" }
        }
        """

    static let ociIndex = """
        {
          "schemaVersion": 2,
          "mediaType": "application/vnd.oci.image.index.v1+json",
          "manifests": [
            {
              "mediaType": "application/vnd.oci.image.manifest.v1+json",
              "digest": "\(amd64)",
              "size": 1024,
              "platform": { "architecture": "amd64", "os": "linux" }
            },
            {
              "mediaType": "application/vnd.oci.image.manifest.v1+json",
              "digest": "\(arm64)",
              "size": 1025,
              "platform": { "architecture": "arm64", "os": "linux", "variant": "v8" }
            }
          ]
        }
        """

    static let dockerImage = """
        {
           "schemaVersion": 2,
           "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
           "config": {
              "mediaType": "application/vnd.docker.container.image.v1+json",
              "size": 7023,
              "digest": "\(configDigest)"
           },
           "layers": [
              {
                 "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                 "size": 32654,
                 "digest": "\(layerA)"
              }
           ]
        }
        """

    static let dockerList = """
        {
          "schemaVersion": 2,
          "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
          "manifests": [
            {
              "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
              "size": 7143,
              "digest": "\(amd64)",
              "platform": { "architecture": "amd64", "os": "linux" }
            },
            {
              "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
              "size": 7682,
              "digest": "\(amd64)",
              "platform": { "architecture": "amd64", "os": "linux" }
            }
          ]
        }
        """

    /// An SBOM attached to an image, as `oras attach` pushes it.
    static let artifact = """
        {
          "schemaVersion": 2,
          "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "artifactType": "application/spdx+json",
          "config": {
            "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": "\(emptyConfig)",
            "size": 2,
            "data": "e30="
          },
          "layers": [
            {
              "mediaType": "application/spdx+json",
              "digest": "\(layerB)",
              "size": 4096,
              "annotations": { "org.opencontainers.image.title": "sbom.spdx.json" }
            }
          ],
          "subject": {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "\(amd64)",
            "size": 1024
          },
          "annotations": { "org.opencontainers.image.created": "2024-05-01T12:00:00Z" }
        }
        """

    static func parse(_ json: String, contentType: String? = nil) throws -> ParsedManifest {
        try ManifestParser.parse(Array(json.utf8), contentType: contentType)
    }

    static func digest(_ text: String) -> Digest {
        try! Digest(parsing: text)
    }

    /// The message a refused manifest carries, or nil when it was accepted.
    static func refusal(_ json: String, contentType: String? = nil) -> String? {
        do {
            _ = try parse(json, contentType: contentType)
            return nil
        } catch {
            return (error as? ManifestError)?.description ?? "unexpected error \(error)"
        }
    }

    /// The OCI image manifest with one field's JSON text replaced.
    static func image(replacing old: String, with new: String) -> String {
        precondition(ociImage.contains(old), "fixture has no \(old)")
        return ociImage.replacingFirst(old, with: new)
    }

    // MARK: Accepted kinds

    @Test func ociImageManifest() throws {
        let manifest = try Self.parse(Self.ociImage)
        #expect(manifest.kind == .ociImage)
        #expect(manifest.mediaType == "application/vnd.oci.image.manifest.v1+json")
        #expect(manifest.config?.mediaType == "application/vnd.oci.image.config.v1+json")
        #expect(manifest.config?.size == 1472)
        #expect(manifest.layers.count == 3)
        #expect(manifest.layers[0] == Descriptor(
            mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: Self.digest(Self.layerA), size: 3_623_807
        ))
        #expect(manifest.blobs == [Self.configDigest, Self.layerA, Self.layerB].map(Self.digest))
        #expect(manifest.children.isEmpty && manifest.manifests.isEmpty)
        #expect(manifest.subject == nil)
        #expect(manifest.artifactType == "application/vnd.oci.image.config.v1+json")
        #expect(manifest.annotations == ["org.opencontainers.image.created": "2024-05-01T12:00:00Z"])
        #expect(manifest.foreignLayers.isEmpty)
    }

    @Test func ociIndexWithPlatforms() throws {
        let manifest = try Self.parse(Self.ociIndex)
        #expect(manifest.kind == .ociIndex)
        #expect(manifest.config == nil && manifest.layers.isEmpty && manifest.blobs.isEmpty)
        #expect(manifest.children == [Self.amd64, Self.arm64].map(Self.digest))
        #expect(manifest.manifests.map(\.platform) == [
            Descriptor.Platform(os: "linux", architecture: "amd64"),
            Descriptor.Platform(os: "linux", architecture: "arm64", variant: "v8"),
        ])
        #expect(manifest.artifactType == nil)
    }

    @Test func dockerSchema2Manifest() throws {
        let manifest = try Self.parse(Self.dockerImage)
        #expect(manifest.kind == .dockerImage)
        #expect(manifest.config?.digest == Self.digest(Self.configDigest))
        #expect(manifest.blobs == [Self.configDigest, Self.layerA].map(Self.digest))
        #expect(manifest.artifactType == "application/vnd.docker.container.image.v1+json")
    }

    @Test func dockerManifestListDeduplicatesChildren() throws {
        let manifest = try Self.parse(Self.dockerList)
        #expect(manifest.kind == .dockerList)
        #expect(manifest.manifests.count == 2)
        #expect(manifest.children == [Self.digest(Self.amd64)])
    }

    @Test func artifactWithEmptyConfigAndSubject() throws {
        let manifest = try Self.parse(Self.artifact)
        #expect(manifest.kind == .ociImage)
        #expect(manifest.artifactType == "application/spdx+json")
        #expect(manifest.config?.mediaType == "application/vnd.oci.empty.v1+json")
        #expect(manifest.subject == Descriptor(
            mediaType: "application/vnd.oci.image.manifest.v1+json", digest: Self.digest(Self.amd64), size: 1024
        ))
        #expect(manifest.layers.first?.annotations == ["org.opencontainers.image.title": "sbom.spdx.json"])
        // The subject need not exist, so it is neither a blob nor a child.
        #expect(manifest.blobs == [Self.emptyConfig, Self.layerB].map(Self.digest))
        #expect(manifest.children.isEmpty)
    }

    @Test func artifactWithoutLayers() throws {
        let json = Self.artifact.replacingFirst(#""layers": ["#, with: #""layers": [], "unused": ["#)
        let manifest = try Self.parse(json)
        #expect(manifest.layers.isEmpty)
        #expect(manifest.blobs == [Self.digest(Self.emptyConfig)])
    }

    @Test func nullListsReadAsEmpty() throws {
        let manifest = try Self.parse(#"""
            {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": null}
            """#)
        #expect(manifest.manifests.isEmpty && manifest.children.isEmpty)
    }

    // MARK: artifactType

    @Test func artifactTypeOfImageFallsBackToConfigMediaType() throws {
        let json = Self.artifact.replacingFirst(#""artifactType": "application/spdx+json","#, with: "")
        #expect(try Self.parse(json).artifactType == "application/vnd.oci.empty.v1+json")
    }

    @Test func artifactTypeOfIndexIsItsOwnOnly() throws {
        let typed = Self.ociIndex.replacingFirst(#""manifests""#, with: #""artifactType": "application/vnd.example+type", "manifests""#)
        #expect(try Self.parse(typed).artifactType == "application/vnd.example+type")
        #expect(try Self.parse(Self.ociIndex).artifactType == nil)
    }

    // MARK: Foreign layers

    @Test func foreignLayersByMediaTypeOrURLs() throws {
        let json = """
            {
              "schemaVersion": 2,
              "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
              "config": { "mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": "\(Self.configDigest)" },
              "layers": [
                {
                  "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                  "size": 1718332879,
                  "digest": "\(Self.layerA)",
                  "urls": ["https://mcr.microsoft.com/v2/windows/servercore/blobs/\(Self.layerA)"]
                },
                { "mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", "size": 10, "digest": "\(Self.amd64)" },
                { "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 10, "digest": "\(Self.arm64)", "urls": ["https://example.com/layer"] },
                { "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 10, "digest": "\(Self.layerB)", "urls": [] }
              ]
            }
            """
        let manifest = try Self.parse(json)
        #expect(manifest.foreignLayers.map(\.digest) == [Self.layerA, Self.amd64, Self.arm64].map(Self.digest))
        #expect(manifest.foreignLayers.first?.urls == ["https://mcr.microsoft.com/v2/windows/servercore/blobs/\(Self.layerA)"])
        // Still listed, so that GC keeps them if they were pushed.
        #expect(manifest.blobs.count == 5)
    }

    // MARK: Media type from body and header

    @Test func headerMatchingBodyIsAccepted() throws {
        let manifest = try Self.parse(Self.ociImage, contentType: "application/vnd.oci.image.manifest.v1+json; charset=utf-8")
        #expect(manifest.mediaType == "application/vnd.oci.image.manifest.v1+json")
    }

    @Test func headerContradictingBodyIsRefused() {
        #expect(Self.refusal(Self.ociImage, contentType: "application/vnd.docker.distribution.manifest.v2+json") ==
            "Content-Type application/vnd.docker.distribution.manifest.v2+json does not match the manifest's mediaType application/vnd.oci.image.manifest.v1+json")
    }

    @Test func headerAloneNamesTheType() throws {
        let json = Self.dockerImage.replacingFirst(#""mediaType": "application/vnd.docker.distribution.manifest.v2+json","#, with: "")
        let manifest = try Self.parse(json, contentType: "application/vnd.docker.distribution.manifest.v2+json")
        #expect(manifest.kind == .dockerImage)
        #expect(manifest.mediaType == "application/vnd.docker.distribution.manifest.v2+json")
        #expect(Self.refusal(json) == "manifest has no mediaType field and the request has no Content-Type")
    }

    // MARK: Refusals

    @Test(arguments: [
        ("{\"schemaVersion\": 2,", "invalid JSON at byte 20"),
        ("[1, 2]", "manifest must be a JSON object, not an array"),
        ("\"manifest\"", "manifest must be a JSON object, not a string"),
    ])
    func refusesNonObjects(json: String, prefix: String) {
        let message = Self.refusal(json)
        #expect(message?.hasPrefix(prefix) == true, "\(message ?? "accepted")")
    }

    @Test func refusesBadSchemaVersion() {
        #expect(Self.refusal(Self.image(replacing: #""schemaVersion": 2,"#, with: "")) == "schemaVersion is missing; it must be 2")
        #expect(Self.refusal(Self.image(replacing: #""schemaVersion": 2"#, with: #""schemaVersion": 3"#)) == "schemaVersion must be 2, not 3")
        #expect(Self.refusal(Self.image(replacing: #""schemaVersion": 2"#, with: #""schemaVersion": "2""#)) == "schemaVersion must be 2, not a string")
    }

    @Test func refusesDockerSchema1() {
        let schema1 = #"""
            {"schemaVersion": 1, "name": "library/hello", "tag": "latest", "architecture": "amd64",
             "fsLayers": [], "history": [], "signatures": []}
            """#
        let message = "schemaVersion 1 (Docker schema 1) is not supported; push an OCI or Docker schema 2 manifest"
        #expect(Self.refusal(schema1, contentType: "application/vnd.docker.distribution.manifest.v1+prettyjws") == message)
        let mislabelled = Self.image(replacing: #""mediaType": "application/vnd.oci.image.manifest.v1+json","#, with: "")
        #expect(Self.refusal(mislabelled, contentType: "application/vnd.docker.distribution.manifest.v1+json") ==
            "Docker schema 1 manifests (application/vnd.docker.distribution.manifest.v1+json) are not supported; push an OCI or Docker schema 2 manifest")
    }

    @Test func refusesUnknownMediaType() {
        let json = Self.image(replacing: "application/vnd.oci.image.manifest.v1+json", with: "application/vnd.oci.artifact.manifest.v1+json")
        #expect(Self.refusal(json) == "unsupported manifest media type 'application/vnd.oci.artifact.manifest.v1+json'; expected one of "
            + "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
            + "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json")
    }

    @Test func refusesImageWithoutConfig() {
        let json = """
            {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": []}
            """
        #expect(Self.refusal(json) == "config is missing; an image manifest needs a config descriptor")
    }

    @Test func refusesListsThatAreNotArrays() {
        #expect(Self.refusal(Self.image(replacing: #""layers": ["#, with: #""layers": {}, "x": ["#)) ==
            "layers must be an array of descriptors, not an object")
        let index = Self.ociIndex.replacingFirst(#""manifests": ["#, with: #""manifests": "none", "x": ["#)
        #expect(Self.refusal(index) == "manifests must be an array of descriptors, not a string")
    }

    @Test func refusesAmbiguousDocuments() {
        let imageWithManifests = Self.image(replacing: #""layers""#, with: #""manifests": [], "layers""#)
        #expect(Self.refusal(imageWithManifests) == "manifests is not allowed in a manifest of type application/vnd.oci.image.manifest.v1+json")
        let indexWithLayers = Self.ociIndex.replacingFirst(#""manifests""#, with: #""layers": [], "manifests""#)
        #expect(Self.refusal(indexWithLayers) == "layers is not allowed in a manifest of type application/vnd.oci.image.index.v1+json")
    }

    @Test(arguments: [
        (#""mediaType": "application/vnd.oci.image.layer.v1.tar+gzip","#, "", "layers[0].mediaType is missing"),
        (#""digest": "\#(ManifestParserTests.layerA)","#, "", "layers[0].digest is missing"),
        (#""size": 3623807"#, #""size": "3623807""#, "layers[0].size must be an integer, not a string"),
        (#""size": 3623807"#, #""size": -1"#, "layers[0].size must not be negative"),
        (#""size": 3623807"#, #""size": 1.5"#, "layers[0].size must be an integer, not 1.5"),
        (#""size": 1472"#, #""size": 1472, "urls": "https://example.com""#, "config.urls must be an array of strings"),
        (#""size": 1472"#, #""size": 1472, "annotations": {"a": 1}"#, "config.annotations must be an object mapping strings to strings"),
    ])
    func refusesMalformedDescriptors(old: String, new: String, message: String) {
        #expect(Self.refusal(Self.image(replacing: old, with: new)) == message)
    }

    @Test func refusesMissingSize() {
        let json = Self.image(replacing: #""size": 3623807"#, with: #""sizes": 3623807"#)
        #expect(Self.refusal(json) == "layers[0].size is missing")
    }

    @Test(arguments: [
        ("sha256:2C6D21737D8349C1C0AA2C6D1FC8D2C5D9B0A9F7D4C8A3BD0B7E2F3C9E1F6A5B", DigestError.uppercaseHex(offset: 1)),
        ("md5:d41d8cd98f00b204e9800998ecf8427e", .unsupportedAlgorithm("md5")),
        ("sha256:2c6d", .wrongLength(algorithm: .sha256, expected: 64, actual: 4)),
    ])
    func refusesInvalidDigestsWithTheDigestError(digest: String, error: DigestError) {
        #expect(Self.refusal(Self.image(replacing: Self.layerA, with: digest)) == "layers[0].digest: \(error)")
    }

    @Test func refusesMalformedSubject() {
        let notObject = Self.artifact.replacingFirst(#""subject": {"#, with: #""subject": "\#(Self.amd64)", "x": {"#)
        #expect(Self.refusal(notObject) == "subject must be a descriptor object, not a string")
        let noDigest = Self.artifact.replacingFirst(#""digest": "\#(Self.amd64)","#, with: "")
        #expect(Self.refusal(noDigest) == "subject.digest is missing")
    }

    @Test func refusesPlatformWithoutOS() {
        let json = Self.ociIndex.replacingFirst(#", "os": "linux" }"#, with: " }")
        #expect(Self.refusal(json) == "manifests[0].platform.os is missing")
    }

    @Test func maximumSizeIsFourMebibytes() {
        #expect(ManifestParser.maximumSize == 4_194_304)
    }
}

extension ManifestParserTests {
    // Nested so that `--filter ManifestParserTests` runs it with the parser tests.
    @Suite("Manifest Accept negotiation")
    struct AcceptNegotiation {
        static let oci = "application/vnd.oci.image.manifest.v1+json"
        static let docker = "application/vnd.docker.distribution.manifest.v2+json"

        @Test func supportedTypes() {
            #expect(ManifestMediaTypes.supported.count == 4)
            #expect(ManifestMediaTypes.supported.contains("application/vnd.docker.distribution.manifest.list.v2+json"))
        }

        @Test func absentOrEmptyHeaderAcceptsEverything() {
            #expect(ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: []))
            #expect(ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: [""]))
        }

        @Test func exactTypesAcrossSeveralHeaders() {
            // Docker sends one Accept header per type.
            let headers = [Self.docker, "application/vnd.docker.distribution.manifest.list.v2+json"]
            #expect(ManifestMediaTypes.acceptable(Self.docker, acceptHeaders: headers))
            #expect(!ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: headers))
            #expect(ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: headers + [Self.oci]))
        }

        @Test func commaSeparatedValuesAndCase() {
            let header = "application/vnd.docker.distribution.manifest.v2+json, Application/VND.OCI.image.manifest.v1+json"
            #expect(ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: [header]))
            #expect(!ManifestMediaTypes.acceptable("application/vnd.oci.image.index.v1+json", acceptHeaders: [header]))
        }

        @Test func qualityZeroRefuses() {
            #expect(!ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: ["\(Self.oci);q=0"]))
            #expect(!ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: ["\(Self.oci) ; q=0.000"]))
            #expect(ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: ["\(Self.oci);q=0.1"]))
            #expect(ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: ["\(Self.oci); q=.5; ext=1"]))
        }

        @Test func wildcards() {
            #expect(ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: ["*/*"]))
            #expect(ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: ["text/html, application/*;q=0.8"]))
            #expect(!ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: ["text/*"]))
            #expect(!ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: ["application/*;q=0"]))
            #expect(ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: ["\tAPPLICATION/*\t;\tQ = 0.5 ,"]))
            #expect(!ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: ["app/*, applications/*, application*, /*"]))
        }

        @Test func mostSpecificRangeDecides() {
            #expect(!ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: ["*/*", "\(Self.oci);q=0"]))
            #expect(ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: ["*/*;q=0", "\(Self.oci)"]))
            #expect(!ManifestMediaTypes.acceptable(Self.oci, acceptHeaders: ["*/*;q=1, application/*;q=0"]))
            #expect(ManifestMediaTypes.acceptable(Self.docker, acceptHeaders: ["\(Self.oci);q=0, */*"]))
        }
    }
}

extension String {
    fileprivate func replacingFirst(_ old: String, with new: String) -> String {
        replacing(old, with: new, maxReplacements: 1)
    }
}
