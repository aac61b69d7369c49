import BlobStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Registry
import TestSupport
import Testing

@Suite("Manifests, tags, referrers and the catalog over HTTP")
struct ManifestAPITests {
    static let imageType = "application/vnd.oci.image.manifest.v1+json"
    static let indexType = "application/vnd.oci.image.index.v1+json"

    @Test(arguments: DatabaseBackend.allCases) func pushByTagThenGetByTagAndDigestExactlyAsPushed(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let (digest, bytes) = try await registry.pushImage("alice/app", tag: "v1", layers: [[1, 2, 3], [4, 5, 6]])
            for reference in ["v1", digest.description] {
                let response = try await registry.request(.get, "/v2/alice/app/manifests/\(reference)")
                #expect(response.status == .ok)
                #expect(response.bytes == bytes)
                #expect(response.header("Content-Type") == Self.imageType)
                #expect(response.header("Docker-Content-Digest") == digest.description)
                let head = try await registry.request(.head, "/v2/alice/app/manifests/\(reference)")
                #expect(head.header("Content-Length") == String(bytes.count))
            }
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func acceptHeadersAreHonoured(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            _ = try await registry.pushImage("alice/app", tag: "v1", layers: [[1]])
            let refused = try await registry.request(
                .get, "/v2/alice/app/manifests/v1", headers: [.accept: "application/vnd.docker.distribution.manifest.v2+json"])
            #expect(refused.status == .notFound)
            #expect(refused.errorCode == "MANIFEST_UNKNOWN")
            var several = HTTPFields()
            several.append(HTTPField(name: .accept, value: "application/vnd.docker.distribution.manifest.v2+json"))
            several.append(HTTPField(name: .accept, value: "\(Self.imageType);q=0.5, */*;q=0.1"))
            #expect(try await registry.request(.get, "/v2/alice/app/manifests/v1", headers: several).status == .ok)
        }
    }

    /// The OCI conformance suite (v1.1.1) reads `.INVALID_MANIFEST_NAME` and expects 404, as
    /// docker-registry and zot answer; a PUT to it is still refused as invalid.
    @Test(arguments: DatabaseBackend.allCases) func aReferenceThatIsNoTagNamesNoManifest(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let (_, bytes) = try await registry.pushImage("alice/app", tag: "v1", layers: [[1]])
            let path = "/v2/alice/app/manifests/.INVALID_MANIFEST_NAME"
            for method in [HTTPRequest.Method.get, .delete] {
                let response = try await registry.request(method, path)
                #expect(response.status == .notFound, "\(method)")
                #expect(response.errorCode == "MANIFEST_UNKNOWN", "\(method)")
            }
            #expect(try await registry.request(.head, path).status == .notFound)
            let put = try await registry.request(.put, path, headers: [.contentType: Self.imageType], body: bytes)
            #expect(put.status == .badRequest)
            #expect(put.errorCode == "MANIFEST_INVALID")
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func manifestNamingAMissingBlobIsRefused(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let missing = Digest.of(Array("not pushed".utf8))
            let manifest = Array("""
                {"schemaVersion":2,"mediaType":"\(Self.imageType)","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(missing)","size":10},"layers":[]}
                """.utf8)
            let response = try await registry.request(.put, "/v2/alice/app/manifests/v1", headers: [.contentType: Self.imageType], body: manifest)
            #expect(response.status == .badRequest)
            #expect(response.errorCode == "MANIFEST_BLOB_UNKNOWN")
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func malformedOversizedAndMismatchedManifestsAreRefused(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let garbage = try await registry.request(.put, "/v2/alice/app/manifests/v1", headers: [.contentType: Self.imageType], body: Array("{not json".utf8))
            #expect(garbage.errorCode == "MANIFEST_INVALID")
            let large = [UInt8](repeating: UInt8(ascii: " "), count: 4 * 1024 * 1024 + 1)
            let oversized = try await registry.request(.put, "/v2/alice/app/manifests/v1", headers: [.contentType: Self.imageType], body: large)
            #expect(oversized.status == .contentTooLarge)
            let (_, bytes) = try await registry.pushImage("alice/app", tag: "v1", layers: [[9]])
            let wrongDigest = Digest.of(Array("other".utf8))
            let mismatch = try await registry.request(.put, "/v2/alice/app/manifests/\(wrongDigest)", headers: [.contentType: Self.imageType], body: bytes)
            #expect(mismatch.errorCode == "DIGEST_INVALID")
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func foreignLayersAreRefusedWithAMessageThatSaysSo(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let layer: [UInt8] = [7, 7, 7]
            let digest = try await registry.pushBlob(layer, to: "alice/win")
            let config = try await registry.pushBlob(Array("{}".utf8), to: "alice/win")
            let manifest = Array("""
                {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"\(config)","size":2},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":"\(digest)","size":3,"urls":["https://example.invalid/layer"]}]}
                """.utf8)
            let response = try await registry.request(
                .put, "/v2/alice/win/manifests/ltsc", headers: [.contentType: "application/vnd.docker.distribution.manifest.v2+json"], body: manifest)
            #expect(response.errorCode == "MANIFEST_INVALID")
            #expect(response.text.contains("foreign"))
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func indexNeedsItsChildrenAndKeepsPlatforms(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let (amd64, amd64Bytes) = try await registry.pushImage("alice/multi", tag: "amd64", layers: [[1]])
            let missing = Digest.of(Array("absent".utf8))
            func index(_ children: [(Digest, Int)]) -> [UInt8] {
                let entries = children.map { #"{"mediaType":"\#(Self.imageType)","digest":"\#($0.0)","size":\#($0.1),"platform":{"os":"linux","architecture":"amd64"}}"# }
                return Array(#"{"schemaVersion":2,"mediaType":"\#(Self.indexType)","manifests":[\#(entries.joined(separator: ","))]}"#.utf8)
            }
            let incomplete = try await registry.request(.put, "/v2/alice/multi/manifests/latest", headers: [.contentType: Self.indexType], body: index([(amd64, amd64Bytes.count), (missing, 100)]))
            #expect(incomplete.errorCode == "MANIFEST_UNKNOWN")
            let complete = try await registry.request(.put, "/v2/alice/multi/manifests/latest", headers: [.contentType: Self.indexType], body: index([(amd64, amd64Bytes.count)]))
            #expect(complete.status == .created)
            #expect(try await registry.request(.get, "/v2/alice/multi/manifests/latest").header("Content-Type") == Self.indexType)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func severalTagsAtOnceAndTagListingWithPagination(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let (digest, bytes) = try await registry.pushImage("alice/app", tag: "v1", layers: [[1]])
            let response = try await registry.request(
                .put, "/v2/alice/app/manifests/\(digest)?tag=v2&tag=v3&tag=latest", headers: [.contentType: Self.imageType], body: bytes)
            #expect(response.status == .created)
            #expect(response.headers[values: HTTPField.Name("OCI-Tag")!].sorted() == ["latest", "v2", "v3"])

            let all = try await registry.request(.get, "/v2/alice/app/tags/list")
            #expect(all.text == #"{"name":"alice/app","tags":["latest","v1","v2","v3"]}"#)
            let first = try await registry.request(.get, "/v2/alice/app/tags/list?n=2")
            #expect(first.text == #"{"name":"alice/app","tags":["latest","v1"]}"#)
            #expect(first.header("Link") == #"</v2/alice/app/tags/list?n=2&last=v1>; rel="next""#)
            let second = try await registry.request(.get, "/v2/alice/app/tags/list?n=2&last=v1")
            #expect(second.text == #"{"name":"alice/app","tags":["v2","v3"]}"#)
            #expect(second.header("Link") == nil)
            let unknown = try await registry.request(.get, "/v2/nobody/here/tags/list")
            #expect(unknown.errorCode == "NAME_UNKNOWN")
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func catalogPaginates(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            for name in ["c/one", "a/one", "b/one"] { try await registry.pushBlob([1], to: name) }
            let page = try await registry.request(.get, "/v2/_catalog?n=2")
            #expect(page.text == #"{"repositories":["a/one","b/one"]}"#)
            #expect(page.header("Link") == #"</v2/_catalog?n=2&last=b/one>; rel="next""#)
            #expect(try await registry.request(.get, "/v2/_catalog?n=2&last=b/one").text == #"{"repositories":["c/one"]}"#)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func referrersListArtifactsWithASubject(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let (subject, subjectBytes) = try await registry.pushImage("alice/app", tag: "v1", layers: [[1]])
            let empty = try await registry.pushBlob(Array("{}".utf8), to: "alice/app")
            let signature = try await registry.pushBlob(Array("sig".utf8), to: "alice/app")
            let artifact = Array("""
                {"schemaVersion":2,"mediaType":"\(Self.imageType)","artifactType":"application/vnd.example.signature","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"\(empty)","size":2},"layers":[{"mediaType":"application/octet-stream","digest":"\(signature)","size":3}],"subject":{"mediaType":"\(Self.imageType)","digest":"\(subject)","size":\(subjectBytes.count)},"annotations":{"org.example.signer":"alice"}}
                """.utf8)
            let artifactDigest = Digest.of(artifact)
            let put = try await registry.request(.put, "/v2/alice/app/manifests/\(artifactDigest)", headers: [.contentType: Self.imageType], body: artifact)
            #expect(put.status == .created)
            #expect(put.header("OCI-Subject") == subject.description)

            let all = try await registry.request(.get, "/v2/alice/app/referrers/\(subject)")
            #expect(all.header("Content-Type") == Self.indexType)
            #expect(all.text.contains(artifactDigest.description))
            #expect(all.text.contains(#""artifactType":"application/vnd.example.signature""#))
            #expect(all.text.contains(#""org.example.signer":"alice""#))
            let filtered = try await registry.request(.get, "/v2/alice/app/referrers/\(subject)?artifactType=application/vnd.example.sbom")
            #expect(filtered.header("OCI-Filters-Applied") == "artifactType")
            #expect(!filtered.text.contains(artifactDigest.description))
            let none = try await registry.request(.get, "/v2/alice/app/referrers/\(Digest.of([0]))")
            #expect(none.status == .ok)
            #expect(none.text.contains(#""manifests":[]"#))
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func deleteByTagAndByDigestAndDeleteBlob(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let (digest, bytes) = try await registry.pushImage("alice/app", tag: "v1", layers: [[5]])
            _ = try await registry.request(.put, "/v2/alice/app/manifests/v2", headers: [.contentType: Self.imageType], body: bytes)
            #expect(try await registry.request(.delete, "/v2/alice/app/manifests/v1").status == .accepted)
            #expect(try await registry.request(.get, "/v2/alice/app/manifests/v1").errorCode == "MANIFEST_UNKNOWN")
            #expect(try await registry.request(.get, "/v2/alice/app/manifests/v2").status == .ok)
            #expect(try await registry.request(.delete, "/v2/alice/app/manifests/\(digest)").status == .accepted)
            #expect(try await registry.request(.get, "/v2/alice/app/manifests/v2").errorCode == "MANIFEST_UNKNOWN")
            #expect(try await registry.request(.delete, "/v2/alice/app/manifests/\(digest)").errorCode == "MANIFEST_UNKNOWN")

            let blob = try await registry.pushBlob([8, 8], to: "alice/app")
            #expect(try await registry.request(.delete, "/v2/alice/app/blobs/\(blob)").status == .accepted)
            #expect(try await registry.request(.get, "/v2/alice/app/blobs/\(blob)").errorCode == "BLOB_UNKNOWN")
        }
    }
}
