import BlobStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Registry
import TestSupport
import Testing

/// The upload protocol against requests that lie about their bodies, break off, are refused, or
/// are framed in ways the registry does not speak; and the blob GET's `If-Range`.
@Suite("Uploads over HTTP: ranges, failed requests, transfer codings")
struct UploadAPITests {
    static let blob = RegistryAPITests.random(400, seed: 5)

    /// A new upload in `alice/app` holding the first `count` bytes of `blob`; its Location.
    static func upload(_ registry: RegistryHarness, holding count: Int) async throws -> String {
        let location = try #require(try await registry.request(.post, "/v2/alice/app/blobs/uploads/").header("Location"))
        let first = try await registry.request(.patch, location, headers: [.contentRange: "0-\(count - 1)"], body: Array(blob[..<count]))
        guard first.status == .accepted else { throw RegistryHarness.Failure("first chunk answered \(first.status)") }
        return location
    }

    /// The upload's `Range`, as a status request reports it.
    static func range(_ registry: RegistryHarness, _ location: String) async throws -> String? {
        try await registry.request(.get, location).header("Range")
    }

    /// One request over a connection of its own, written as it is; the answer, or nil if none
    /// comes within ten seconds.
    static func raw(_ registry: RegistryHarness, _ head: String, body: [UInt8] = []) async throws -> RawAnswer? {
        let socket = try RawSocket(port: try #require(registry.client.port))
        try socket.send(head.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n")
        try socket.send(body)
        return try await socket.receiveAnswer(timeoutMilliseconds: 10_000)
    }

    /// A chunked body of one chunk.
    static func chunked(_ bytes: [UInt8]) -> [UInt8] {
        Array("\(String(bytes.count, radix: 16))\r\n".utf8) + bytes + Array("\r\n0\r\n\r\n".utf8)
    }

    /// A PATCH of `bytes` in a chunked body, with the `headers` given (lines) besides Host.
    static func patchChunked(_ registry: RegistryHarness, _ location: String, _ headers: String, _ bytes: ArraySlice<UInt8>) async throws -> RawAnswer {
        try #require(try await raw(registry, "PATCH \(location) HTTP/1.1\nHost: localhost\n\(headers)\n", body: chunked(Array(bytes))))
    }

    // MARK: Content-Range against the body

    @Test(arguments: DatabaseBackend.allCases) func aChunkWhoseLengthDisagreesWithItsContentRangeIsRefused(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let location = try await Self.upload(registry, holding: 10)
            let short = try await registry.request(.patch, location, headers: [.contentRange: "10-99"], body: Array(Self.blob[10..<20]))
            #expect(short.status == .rangeNotSatisfiable)
            #expect(short.errorCode == "BLOB_UPLOAD_INVALID")
            #expect(short.header("Range") == "0-9")
            let long = try await registry.request(.patch, location, headers: [.contentRange: "10-19"], body: Array(Self.blob[10..<30]))
            #expect(long.status == .rangeNotSatisfiable)
            #expect(long.header("Range") == "0-9")
            // A range that cannot be counted to its end is malformed, not a crash.
            let endless = try await registry.request(
                .patch, location, headers: [.contentRange: "10-\(UInt64.max)"], body: Array(Self.blob[10..<20]))
            #expect(endless.status == .badRequest)
            #expect(endless.errorCode == "BLOB_UPLOAD_INVALID")
            #expect(try await Self.range(registry, location) == "0-9")
        }
    }

    /// Content-Length and Content-Range disagree in the head: the answer does not wait for a
    /// body that could only be refused.
    @Test(arguments: DatabaseBackend.allCases) func aContentLengthThatDisagreesWithTheRangeIsRefusedBeforeTheBody(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let location = try await Self.upload(registry, holding: 10)
            let answer = try #require(try await Self.raw(registry, """
                PATCH \(location) HTTP/1.1
                Host: localhost
                Content-Range: 10-99
                Content-Length: 10

                """))
            #expect(answer.status == 416)
            #expect(answer.errorCode == "BLOB_UPLOAD_INVALID")
            #expect(answer.headers["range"] == "0-9")
        }
    }

    /// A chunked body has no length to check up front: it is counted, and what it wrote is
    /// rolled back when it does not fill its range exactly.
    @Test(arguments: DatabaseBackend.allCases) func aChunkedBodyThatDisagreesWithItsContentRangeIsRolledBack(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let location = try await Self.upload(registry, holding: 10)
            for (range, bytes) in [("10-99", Self.blob[10..<20]), ("10-19", Self.blob[300..<320])] {
                let answer = try await Self.patchChunked(registry, location, "Content-Range: \(range)\nTransfer-Encoding: chunked", bytes)
                #expect(answer.status == 416, "Content-Range \(range) with \(bytes.count) bytes")
                #expect(answer.errorCode == "BLOB_UPLOAD_INVALID")
                #expect(answer.headers["range"] == "0-9")
            }
            let fits = try await Self.patchChunked(registry, location, "Content-Range: 10-19\nTransfer-Encoding: chunked", Self.blob[10..<20])
            #expect(fits.status == 202)
            #expect(fits.headers["range"] == "0-19")
            let digest = Digest.of(Array(Self.blob[..<20]))
            #expect(try await registry.request(.put, "\(location)?digest=\(digest)").status == .created)
            #expect(try await registry.request(.get, "/v2/alice/app/blobs/\(digest)").bytes == Array(Self.blob[..<20]))
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func aClosingPutWhoseBodyDisagreesWithItsContentRangeIsRefused(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let location = try await Self.upload(registry, holding: 10)
            let digest = Digest.of(Array(Self.blob[..<20]))
            let refused = try await registry.request(
                .put, "\(location)?digest=\(digest)", headers: [.contentRange: "10-99"], body: Array(Self.blob[10..<20]))
            #expect(refused.status == .rangeNotSatisfiable)
            #expect(refused.errorCode == "BLOB_UPLOAD_INVALID")
            #expect(refused.header("Range") == "0-9")
            let finished = try await registry.request(
                .put, "\(location)?digest=\(digest)", headers: [.contentRange: "10-19"], body: Array(Self.blob[10..<20]))
            #expect(finished.status == .created)
        }
    }

    // MARK: Failed requests leave nothing

    /// A client that declares 300 bytes, sends 100 and goes away: the upload stays at its last
    /// successful request, and the next chunk goes on from there.
    @Test(arguments: DatabaseBackend.allCases) func aRequestCutOffMidBodyLeavesNothingInTheUpload(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let location = try await Self.upload(registry, holding: 100)
            let socket = try RawSocket(port: try #require(registry.client.port))
            try socket.send("PATCH \(location) HTTP/1.1\r\nHost: localhost\r\nContent-Length: 300\r\nExpect: 100-continue\r\n\r\n")
            // The interim answer comes once the route reads the body: the upload is claimed.
            let interim = try await socket.receive(timeoutMilliseconds: 10_000)
            try socket.send(Array(Self.blob[100..<200]))
            socket.hangUp()
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue"))

            var next = try await registry.request(.patch, location, headers: [.contentRange: "100-199"], body: Array(Self.blob[100..<200]))
            for _ in 0..<100 where next.status == .conflict {
                // The broken request still holds the upload.
                try await Task.sleep(for: .milliseconds(20))
                next = try await registry.request(.patch, location, headers: [.contentRange: "100-199"], body: Array(Self.blob[100..<200]))
            }
            #expect(next.status == .accepted)
            #expect(next.header("Range") == "0-199")
            let digest = Digest.of(Array(Self.blob[..<200]))
            #expect(try await registry.request(.put, "\(location)?digest=\(digest)").status == .created)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func aChunkRefusedOverTheSizeLimitLeavesNothingInTheUpload(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend, configure: { $0.store.maxBlobSize = 1 << 20 }) { registry in
            let location = try await Self.upload(registry, holding: 100)
            let tooLarge = try await registry.request(.patch, location, body: RegistryAPITests.random(2 << 20, seed: 6))
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.errorCode == "SIZE_INVALID")
            #expect(try await Self.range(registry, location) == "0-99")
        }
    }

    // MARK: Transfer codings

    @Test(arguments: [
        "Transfer-Encoding: gzip, chunked",
        "Transfer-Encoding: identity, chunked",
        "Transfer-Encoding: gzip\nTransfer-Encoding: chunked",
    ])
    func aTransferCodingOtherThanChunkedIsNotImplemented(header: String) async throws {
        try await RegistryHarness.run { registry in
            let location = try await Self.upload(registry, holding: 10)
            let patch = try await Self.patchChunked(registry, location, header, Self.blob[10..<20])
            #expect(patch.status == 501)
            #expect(patch.errorCode == "UNSUPPORTED")
            #expect(try await Self.range(registry, location) == "0-9")

            let base = try #require(try await Self.raw(registry, "GET /v2/ HTTP/1.1\nHost: localhost\n\(header)\n", body: Self.chunked([])))
            #expect(base.status == 501)
            #expect(base.errorCode == "UNSUPPORTED")
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func chunkedIsTakenInAnyCaseAndWithBlanks(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let location = try await Self.upload(registry, holding: 10)
            let answer = try await Self.patchChunked(registry, location, "Transfer-Encoding: \t Chunked ", Self.blob[10..<20])
            #expect(answer.status == 202)
            #expect(answer.headers["range"] == "0-19")
        }
    }

    /// A coding the HTTP parser cannot frame is the client's error, never the server's. (NIO's
    /// parser fails on these only when the body is read: once the route has answered, Hummingbird
    /// then writes a 400 of its own behind the answer and closes the connection.)
    @Test(arguments: ["xchunked", "identity"])
    func anUnknownTransferCodingIsAClientError(coding: String) async throws {
        try await RegistryHarness.run { registry in
            let location = try await Self.upload(registry, holding: 10)
            let answer = try await Self.patchChunked(registry, location, "Transfer-Encoding: \(coding)", Self.blob[10..<20])
            #expect((400..<500).contains(answer.status) || answer.status == 501, "answered \(answer.status)")
            #expect(try await Self.range(registry, location) == "0-9")
        }
    }

    // MARK: If-Range

    /// RFC 9110 §13.1.5: a Range counts only if If-Range (when present) is a strong match of the
    /// blob's ETag; blobs have no Last-Modified, so a date never matches.
    @Test(arguments: [
        ("\"SAME\"", true),
        ("W/\"SAME\"", false),
        ("\"sha256:0000000000000000000000000000000000000000000000000000000000000000\"", false),
        ("Wed, 21 Oct 2015 07:28:00 GMT", false),
    ])
    func ifRangeDecidesWhetherTheRangeCounts(validator: String, partial: Bool) async throws {
        try await RegistryHarness.run { registry in
            let digest = try await registry.pushBlob(Self.blob, to: "alice/app")
            let ifRange = validator.replacingOccurrences(of: "SAME", with: digest.description)
            let response = try await registry.request(
                .get, "/v2/alice/app/blobs/\(digest)", headers: [.range: "bytes=0-9", .ifRange: ifRange])
            if partial {
                #expect(response.status == .partialContent)
                #expect(response.bytes == Array(Self.blob[..<10]))
            } else {
                #expect(response.status == .ok)
                #expect(response.bytes == Self.blob)
                #expect(response.header("Content-Range") == nil)
            }
        }
    }
}

extension RawAnswer {
    var errorCode: String? { RegistryHarness.errorCode(in: body) }
}
