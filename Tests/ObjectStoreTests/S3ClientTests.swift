import Foundation
import NIOCore
import ObjectStore
import TestSupport
import Testing

/// The client against a real radosgw (Tools/radosgw-test-cluster.sh): each test in a bucket of its
/// own.
@Suite("S3 client on radosgw")
struct S3ClientTests {
    @Test func writeOnceObjectsReadWholeAndByRange() async throws {
        try await withClient { client in
            let bytes = ByteBuffer(bytes: (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            try await client.putObject("blobs/a", body: bytes, metadata: ["checksums": "xyz"])
            // Written once: a second PUT of the key is refused and the first bytes stay.
            await #expect { try await client.putObject("blobs/a", body: ByteBuffer(string: "other")) } throws: {
                ($0 as? S3Error)?.kind == .preconditionFailed
            }
            #expect(try await client.objectBytes("blobs/a") == bytes)
            #expect(try await client.objectBytes("blobs/a", range: 65_536..<70_000) == bytes.getSlice(at: 65_536, length: 4_464))
            #expect(try await client.objectBytes("blobs/a", range: 5..<5).readableBytes == 0)
            let info = try #require(try await client.headObject("blobs/a"))
            #expect(info.size == 70_000 && info.metadata["checksums"] == "xyz")
            #expect(try await client.headObject("blobs/missing") == nil)
            await #expect { _ = try await client.objectBytes("blobs/missing") } throws: { ($0 as? S3Error)?.kind == .notFound }
            await #expect { _ = try await client.objectBytes("blobs/a", range: 80_000..<80_001) } throws: {
                ($0 as? S3Error)?.kind == .rangeNotSatisfiable
            }
            try await client.deleteObject("blobs/a")
            try await client.deleteObject("blobs/a")
            #expect(try await client.headObject("blobs/a") == nil)
        }
    }

    @Test func listingPagesAndDeletesInBulk() async throws {
        try await withClient(prefix: "registry/") { client in
            let keys = (0..<7).map { "blobs/\($0)" } + ["uploads/x"]
            for key in keys { try await client.putObject(key, body: ByteBuffer(string: key)) }
            var seen = [String]()
            var continuation: String?
            repeat {
                let page = try await client.listObjects(prefix: "blobs/", continuation: continuation, maxKeys: 3)
                #expect(page.objects.count <= 3)
                seen += page.objects.map(\.key)
                continuation = page.continuation
            } while continuation != nil
            #expect(seen == keys.dropLast())
            try await client.deleteObjects(Array(keys.prefix(5)))
            #expect(try await client.allObjects().map(\.key) == ["blobs/5", "blobs/6", "uploads/x"])
        }
    }

    @Test func multipartUploadsCompleteOrAbort() async throws {
        try await withClient { client in
            let first = ByteBuffer(repeating: 0xA5, count: 5 << 20)
            let second = ByteBuffer(string: "the tail")
            let id = try await client.createMultipartUpload("big", metadata: ["owner": "test"])
            let parts = [
                S3Part(number: 1, etag: try await client.uploadPart("big", uploadID: id, number: 1, body: first)),
                S3Part(number: 2, etag: try await client.uploadPart("big", uploadID: id, number: 2, body: second)),
            ]
            #expect(try await client.multipartUploads().map(\.uploadID) == [id])
            try await client.completeMultipartUpload("big", uploadID: id, parts: parts)
            var whole = first
            whole.writeImmutableBuffer(second)
            #expect(try await client.objectBytes("big") == whole)
            #expect(try await client.headObject("big")?.metadata["owner"] == "test")

            let abandoned = try await client.createMultipartUpload("abandoned")
            _ = try await client.uploadPart("abandoned", uploadID: abandoned, number: 1, body: second)
            try await client.abortMultipartUpload("abandoned", uploadID: abandoned)
            try await client.abortMultipartUpload("abandoned", uploadID: abandoned)
            #expect(try await client.multipartUploads().isEmpty)
            #expect(try await client.headObject("abandoned") == nil)
        }
    }

    /// A presigned URL works for a client with no credentials (curl), and only as signed.
    @Test func presignedURLsServeTheObjectToAnyClient() async throws {
        try await withClient { client in
            try await client.putObject("shared", body: ByteBuffer(string: "presigned bytes"))
            let url = client.presignedGetURL("shared", expires: 60)
            let fetched = try await curl(url)
            #expect(fetched.status == 0 && fetched.output == "presigned bytes")
            let tampered = try await curl(url.replacingOccurrences(of: "shared?", with: "other?"))
            #expect(tampered.status != 0)
            let expired = try await curl(client.presignedGetURL("shared", expires: 1, now: SigV4Date(secondsSince1970: Int(Date().timeIntervalSince1970) - 3600)))
            #expect(expired.status != 0)
        }
    }

    @Test func aWrongSecretIsRefusedNotRetried() async throws {
        let endpoint = try await RadosgwTestCluster.endpoint()
        let client = S3Client(settings: S3Settings(
            endpoint: try S3Endpoint(endpoint.url), bucket: RadosgwTestCluster.bucketName(),
            credentials: S3Credentials(accessKeyID: endpoint.accessKeyID, secretAccessKey: "wrong")))
        await #expect { try await client.createBucket() } throws: {
            ($0 as? S3Error)?.kind == .refused && ($0 as? S3Error)?.code == "SignatureDoesNotMatch"
        }
        try await client.shutdown()
    }

    /// Nothing listening: every try fails to connect, and the error says the store is unavailable.
    @Test func aStoreThatIsNotThereIsUnavailable() async throws {
        var settings = S3Settings(
            endpoint: try S3Endpoint("http://127.0.0.1:9"), bucket: "none",
            credentials: S3Credentials(accessKeyID: "a", secretAccessKey: "b"))
        settings.attempts = 2
        let client = S3Client(settings: settings)
        await #expect { _ = try await client.headObject("x") } throws: { ($0 as? S3Error)?.kind == .unavailable }
        try await client.shutdown()
    }

    private func withClient(prefix: String = "", _ body: (S3Client) async throws -> Void) async throws {
        let endpoint = try await RadosgwTestCluster.endpoint()
        let client = S3Client(settings: S3Settings(
            endpoint: try S3Endpoint(endpoint.url), bucket: RadosgwTestCluster.bucketName(), prefix: prefix,
            credentials: S3Credentials(accessKeyID: endpoint.accessKeyID, secretAccessKey: endpoint.secretAccessKey)))
        do {
            try await client.createBucket()
            #expect(try await client.bucketExists())
            try await body(client)
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private func curl(_ url: String) async throws -> ChildRun {
        try await PostgresTestCluster.offPool { try ChildRun.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-fsS", url]) }
    }
}
