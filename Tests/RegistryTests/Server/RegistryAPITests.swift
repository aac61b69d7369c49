import BlobStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ObjectStore
import Registry
import TestSupport
import Testing

@Suite("OCI distribution API over HTTP")
struct RegistryAPITests {
    static func random(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7 &+ ($0 >> 8)) }
    }

    @Test(arguments: DatabaseBackend.allCases) func baseEndpointAnswersWithTheAPIVersion(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let response = try await registry.request(.get, "/v2/")
            #expect(response.status == .ok)
            #expect(response.header("Docker-Distribution-API-Version") == "registry/2.0")
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func monolithicPushThenGetHeadAndRanges(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let blob = Self.random(3 << 20)
            let digest = try await registry.pushBlob(blob, to: "alice/app")
            let get = try await registry.request(.get, "/v2/alice/app/blobs/\(digest)")
            #expect(get.status == .ok)
            #expect(get.bytes == blob)
            #expect(get.header("Docker-Content-Digest") == digest.description)
            let head = try await registry.request(.head, "/v2/alice/app/blobs/\(digest)")
            #expect(head.status == .ok)
            #expect(head.header("Content-Length") == String(blob.count))
            #expect(head.body.readableBytes == 0)

            let partial = try await registry.request(.get, "/v2/alice/app/blobs/\(digest)", headers: [.range: "bytes=1048570-1048579"])
            #expect(partial.status == .partialContent)
            #expect(partial.bytes == Array(blob[1_048_570...1_048_579]))
            #expect(partial.header("Content-Range") == "bytes 1048570-1048579/\(blob.count)")
            let suffix = try await registry.request(.get, "/v2/alice/app/blobs/\(digest)", headers: [.range: "bytes=-5"])
            #expect(suffix.bytes == Array(blob.suffix(5)))
            let unsatisfiable = try await registry.request(.get, "/v2/alice/app/blobs/\(digest)", headers: [.range: "bytes=\(blob.count)-"])
            #expect(unsatisfiable.status == .rangeNotSatisfiable)
            #expect(unsatisfiable.header("Content-Range") == "bytes */\(blob.count)")
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func aCorruptBlockIsNeverSent(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            var generator = SystemRandomNumberGenerator()
            let blob = (0..<(3 << 20)).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let digest = try await registry.pushBlob(blob, to: "alice/app")
            if let bucket = registry.bucket {
                try await Self.flipObjectByte(of: blob, at: (2 << 20) + 17, in: bucket)
            } else {
                try Self.flipStoredByte(of: blob, at: (2 << 20) + 17, in: registry.directory)
            }

            // The headers promised the whole blob: what of the two good blocks made it out is
            // sent, then the connection is cut before any byte of the third.
            let socket = try RawSocket(port: try #require(registry.client.port))
            try socket.send("GET /v2/alice/app/blobs/\(digest) HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let answer = try await socket.receiveUntilClosed(timeoutMilliseconds: 30_000)
            let headerEnd = try #require(answer.firstRange(of: Array("\r\n\r\n".utf8)))
            #expect(String(decoding: answer[..<headerEnd.lowerBound], as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            let body = Array(answer[headerEnd.upperBound...])
            #expect(body.count <= 2 << 20)
            #expect(body == Array(blob.prefix(body.count)))

            let firstBlock = try await registry.request(.get, "/v2/alice/app/blobs/\(digest)", headers: [.range: "bytes=0-1048575"])
            #expect(firstBlock.status == .partialContent)
            #expect(firstBlock.bytes == Array(blob[..<(1 << 20)]))
        }
    }

    /// Bit rot in the bucket: the object holding `blob` is replaced by a copy with `blob[offset]`
    /// flipped (objects are written once; the store's own credentials may still replace one).
    static func flipObjectByte(of blob: [UInt8], at offset: Int, in bucket: RadosgwTestCluster.Bucket) async throws {
        let client = S3Client(settings: bucket.settings)
        do {
            let objects = try await client.allObjects(prefix: "blobs/")
            let object = try #require(objects.first { $0.size == UInt64(blob.count) && !$0.key.hasSuffix(".sums") })
            var bytes = blob
            bytes[offset] ^= 0x01
            try await client.deleteObject(object.key)
            try await client.putObject(object.key, body: ByteBuffer(bytes: bytes))
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// Bit rot: flips the stored copy of `blob[offset]` in whichever pack holds it.
    static func flipStoredByte(of blob: [UInt8], at offset: Int, in directory: String) throws {
        let packs = URL(fileURLWithPath: directory).appendingPathComponent("packs")
        let window = Data(blob[offset..<offset + 64])
        for name in try FileManager.default.contentsOfDirectory(atPath: packs.path) where name.hasSuffix(".pack") {
            let url = packs.appendingPathComponent(name)
            guard let found = try Data(contentsOf: url).range(of: window) else { continue }
            try flipByte(atPath: url.path, offset: UInt64(found.lowerBound), mask: 0xFF)
            return
        }
        throw RegistryHarness.Failure("no pack holds the blob's bytes")
    }

    @Test(arguments: DatabaseBackend.allCases) func aBlobIsVisibleOnlyWhereItWasPushedOrMounted(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let digest = try await registry.pushBlob(Self.random(1000), to: "alice/private")
            let elsewhere = try await registry.request(.get, "/v2/bob/app/blobs/\(digest)")
            #expect(elsewhere.status == .notFound)
            #expect(elsewhere.errorCode == "BLOB_UNKNOWN")
            // Mounting from a repository that does not hold it falls back to a new upload.
            let fallback = try await registry.request(.post, "/v2/bob/app/blobs/uploads/?mount=\(digest)&from=carol/none")
            #expect(fallback.status == .accepted)
            let mounted = try await registry.request(.post, "/v2/bob/app/blobs/uploads/?mount=\(digest)&from=alice/private")
            #expect(mounted.status == .created)
            #expect(mounted.header("Location") == "/v2/bob/app/blobs/\(digest)")
            #expect(try await registry.request(.head, "/v2/bob/app/blobs/\(digest)").status == .ok)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func chunkedUploadInOrderWithStatusAndOutOfOrderRefusal(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let blob = Self.random(250_000, seed: 3)
            let start = try await registry.request(.post, "/v2/alice/app/blobs/uploads/")
            #expect(start.status == .accepted)
            let location = try #require(start.header("Location"))
            #expect(start.header("Docker-Upload-UUID") != nil)
            #expect(start.header("Range") == "0-0")

            let first = try await registry.request(.patch, location, headers: [.contentRange: "0-99999"], body: Array(blob[..<100_000]))
            #expect(first.status == .accepted)
            #expect(first.header("Range") == "0-99999")
            let outOfOrder = try await registry.request(.patch, location, headers: [.contentRange: "50000-60000"], body: Array(blob[50_000...60_000]))
            #expect(outOfOrder.status == .rangeNotSatisfiable)
            #expect(outOfOrder.header("Range") == "0-99999")
            let status = try await registry.request(.get, location)
            #expect(status.status == .noContent)
            #expect(status.header("Range") == "0-99999")
            // A chunk without Content-Range goes where the upload stands (Docker's streamed PATCH).
            let second = try await registry.request(.patch, location, body: Array(blob[100_000..<200_000]))
            #expect(second.header("Range") == "0-199999")

            let wrong = Digest.of(Array("nope".utf8))
            let digest = Digest.of(blob)
            let finish = try await registry.request(.put, "\(location)?digest=\(digest)", body: Array(blob[200_000...]))
            #expect(finish.status == .created)
            #expect(finish.header("Docker-Content-Digest") == digest.description)
            #expect(try await registry.request(.get, "/v2/alice/app/blobs/\(digest)").bytes == blob)
            // The session is gone once finished.
            #expect(try await registry.request(.get, location).errorCode == "BLOB_UPLOAD_UNKNOWN")

            let again = try #require(try await registry.request(.post, "/v2/alice/app/blobs/uploads/").header("Location"))
            let mismatch = try await registry.request(.put, "\(again)?digest=\(wrong)", body: [1, 2, 3])
            #expect(mismatch.status == .badRequest)
            #expect(mismatch.errorCode == "DIGEST_INVALID")
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func cancelledUploadIsUnknownAfterwards(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let location = try #require(try await registry.request(.post, "/v2/alice/app/blobs/uploads/").header("Location"))
            #expect(try await registry.request(.delete, location).status == .noContent)
            let status = try await registry.request(.get, location)
            #expect(status.status == .notFound)
            #expect(status.errorCode == "BLOB_UPLOAD_UNKNOWN")
            // An upload id used under another repository is unknown there.
            let other = try #require(try await registry.request(.post, "/v2/alice/app/blobs/uploads/").header("Location"))
            let foreign = other.replacingOccurrences(of: "/alice/app/", with: "/bob/app/")
            #expect(try await registry.request(.get, foreign).errorCode == "BLOB_UPLOAD_UNKNOWN")
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func sha512BlobsWork(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let blob = Self.random(5000, seed: 9)
            let digest = Digest.of(blob, algorithm: .sha512)
            let response = try await registry.request(.post, "/v2/alice/app/blobs/uploads/?digest=\(digest)", body: blob)
            #expect(response.status == .created)
            #expect(try await registry.request(.get, "/v2/alice/app/blobs/\(digest)").bytes == blob)
            let chunked = try #require(try await registry.request(.post, "/v2/alice/app/blobs/uploads/?digest-algorithm=sha512").header("Location"))
            let other = Self.random(7000, seed: 4)
            let finish = try await registry.request(.put, "\(chunked)?digest=\(Digest.of(other, algorithm: .sha512))", body: other)
            #expect(finish.status == .created)
        }
    }

    @Test(arguments: ["Alice/app", "alice/../bob", "alice//app", "alice/app-"])
    func invalidNamesAreRefused(name: String) async throws {
        try await RegistryHarness.run { registry in
            let response = try await registry.request(.get, "/v2/\(name)/tags/list")
            #expect(response.status == .badRequest)
            #expect(response.errorCode == "NAME_INVALID")
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func invalidDigestIsRefused(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let response = try await registry.request(.get, "/v2/alice/app/blobs/sha256:ABC")
            #expect(response.status == .badRequest)
            #expect(response.errorCode == "DIGEST_INVALID")
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func blobLargerThanTheLimitIsRefusedWhileStreaming(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend, configure: { $0.store.maxBlobSize = 1000 }) { registry in
            let blob = Self.random(2000)
            let response = try await registry.request(.post, "/v2/alice/app/blobs/uploads/?digest=\(Digest.of(blob))", body: blob)
            #expect(response.status == .contentTooLarge)
            #expect(response.errorCode == "SIZE_INVALID")
            #expect(try await registry.request(.head, "/v2/alice/app/blobs/\(Digest.of(blob))").status == .notFound)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func expectContinueIsAnsweredBeforeTheBody(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let location = try #require(try await registry.request(.post, "/v2/alice/app/blobs/uploads/").header("Location"))
            let port = try #require(registry.client.port)
            let socket = try RawSocket(port: port)
            try socket.send("PATCH \(location) HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            // The interim answer must come before the body is sent, not after a client timeout.
            // (Seconds, not the 1 s curl waits: radosgw's daemons load this two-core machine too,
            // and the client sends nothing more until the interim answer is in.)
            let interim = try await socket.receive(timeoutMilliseconds: 5_000)
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue"))
            try socket.send("hello")
            // The answer waits for a checkpoint (an fsync): on a loaded machine that can take seconds.
            let final = try await socket.receive(timeoutMilliseconds: 30_000)
            #expect(final.contains("202 Accepted"))
            #expect(final.contains("Range: 0-4"))
        }
    }
}

@Suite("Health and metrics")
struct ObservabilityTests {
    @Test(arguments: DatabaseBackend.allCases) func healthAndPrometheusMetrics(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            #expect(try await registry.request(.get, "/health").text == "ok\n")
            let blob: [UInt8] = Array(repeating: 3, count: 1234)
            let digest = try await registry.pushBlob(blob, to: "alice/app")
            _ = try await registry.request(.get, "/v2/alice/app/blobs/\(digest)")
            _ = try await registry.request(.get, "/v2/alice/app/blobs/\(Digest.of([1]))")
            let metrics = try await registry.request(.get, "/metrics").text
            #expect(metrics.contains(#"stowage_http_requests_total{route="blob",method="GET",status="200"} 1"#))
            #expect(metrics.contains(#"stowage_http_requests_total{route="blob",method="GET",status="404"} 1"#))
            #expect(metrics.contains(#"stowage_http_requests_total{route="upload",method="POST",status="201"} 1"#))
            #expect(metrics.contains("stowage_blob_bytes_received_total 1234"))
            #expect(metrics.contains("stowage_blob_bytes_sent_total 1234"))
            #expect(metrics.contains("stowage_http_request_duration_seconds_bucket"))
            #expect(!metrics.contains("alice"), "repository names stay out of metric labels")
        }
    }
}
