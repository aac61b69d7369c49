import BlobStore
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Registry
import TestSupport
import Testing

/// What a buggy or hostile client sends: numbers that overflow, bodies over their limits,
/// malformed HTTP, manifests other readers would read differently, referrers lists of hundreds
/// of megabytes, and connections held open a byte at a time. Each is a 4xx or a closed
/// connection, never a 500 or a crash.
@Suite("Security: limits on what a request can make the server do")
struct RequestLimitTests {
    // MARK: Numbers

    @Test(arguments: [
        #"{"untaggedDays":9223372036854775807}"#, #"{"untaggedDays":-1}"#, #"{"untaggedDays":36501}"#,
        #"{"keepLast":0}"#, #"{"keepLast":9223372036854775807}"#, #"{"untaggedDays":1e400}"#,
    ])
    func retentionValuesOutsideTheirRangesAreRefused(body: String) async throws {
        try await RegistryHarness.run { registry in
            let response = try await registry.request(.put, "/api/v1/retention/octo", body: Array(body.utf8))
            #expect(response.status == .badRequest)
            #expect(try await registry.request(.post, "/api/v1/gc").status == .ok)
        }
    }

    @Test func retentionValuesAtTheirLimitsAreKeptAndCollected() async throws {
        try await RegistryHarness.run { registry in
            try await registry.pushImage("octo/app", tag: "v1", layers: [[1, 2, 3]])
            let limits = #"{"untaggedDays":36500,"keepLast":1000000}"#
            #expect(try await registry.request(.put, "/api/v1/retention/octo", body: Array(limits.utf8)).status == .noContent)
            #expect(try await registry.request(.post, "/api/v1/gc").status == .ok)
            #expect(try await registry.request(.get, "/v2/octo/app/manifests/v1").status == .ok)
        }
    }

    /// A policy stored before values were checked (or written into the database by hand) must
    /// not stop collection: it would stop again after every restart.
    @Test func aStoredPolicyBeyondTheRangesCannotStopCollection() async throws {
        try await RegistryHarness.run { registry in
            try await registry.pushImage("octo/app", tag: "v1", layers: [[1, 2, 3]])
            let store = registry.service.metadata
            // (The schema's CHECKs keep negative values out.)
            for (days, keep) in [(Int64.max, Int64.max), (Int64(Int32.max), Int64(Int32.max))] {
                try await store.database.write { db in
                    try await db.run(
                        "INSERT OR REPLACE INTO retention_policies (scope, untagged_days, keep_last, updated) VALUES ('octo', ?, ?, 0)",
                        [.integer(days), .integer(keep)])
                }
                #expect(try await registry.request(.post, "/api/v1/gc").status == .ok)
            }
        }
    }

    // MARK: Bodies over their limits

    @Test func bodiesOverTheirLimitsAre413() async throws {
        try await RegistryHarness.run(configure: { $0.authMode = .token }) { registry in
            let form = Array(("grant_type=password&username=alice&password=" + String(repeating: "x", count: 70_000)).utf8)
            let token = try await registry.request(.post, "/token", headers: [.contentType: "application/x-www-form-urlencoded"], body: form)
            #expect(token.status == .contentTooLarge)
            #expect(token.errorCode == "SIZE_INVALID")
        }
        try await RegistryHarness.run { registry in
            let policy = try await registry.request(.put, "/api/v1/retention/octo", body: [UInt8](repeating: 0x20, count: 70_000))
            #expect(policy.status == .contentTooLarge)
            for extra in [1, 2, 1 << 20] {
                let manifest = [UInt8](repeating: 0x20, count: ManifestParser.maximumSize + extra)
                let response = try await registry.request(
                    .put, "/v2/octo/app/manifests/v1", headers: [.contentType: ManifestAPITests.imageType], body: manifest)
                #expect(response.status == .contentTooLarge, "a manifest of 4 MiB + \(extra) bytes")
                #expect(response.errorCode == "SIZE_INVALID")
            }
        }
    }

    // MARK: Malformed HTTP

    @Test(arguments: ["zz", "-5", "ffffffffffffffffffffff"])
    func aMalformedChunkSizeIsABadRequest(size: String) async throws {
        let logs = LogCapture()
        try await RegistryHarness.run(logs: logs) { registry in
            let socket = try RawSocket(port: try #require(registry.client.port))
            try socket.send(
                "POST /v2/octo/app/blobs/uploads/?digest=\(Digest.of([1])) HTTP/1.1\r\nHost: localhost\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n\(size)\r\nabc\r\n0\r\n\r\n")
            let answer = String(decoding: try await socket.receiveUntilClosed(timeoutMilliseconds: 30_000), as: UTF8.self)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
            #expect(answer.components(separatedBy: "HTTP/1.1 ").count == 2, "one answer only: \(answer)")
            #expect(!answer.contains("NIO") && !answer.contains("HTTPParserError"))
            #expect(!logs.all.contains { $0.hasPrefix("error") }, "a client's error is not the server's: \(logs.text)")
        }
    }

    // MARK: Manifests other readers could read differently

    @Test(arguments: ["duplicate layers", "duplicate subject", "duplicate mediaType", "Layers", "BOM", "UTF-16"])
    func manifestsOtherReadersCouldReadDifferentlyAreRefused(variant: String) async throws {
        try await RegistryHarness.run { registry in
            let config = try await registry.pushBlob(Array("{}".utf8), to: "octo/app")
            let layer = try await registry.pushBlob([1, 2, 3], to: "octo/app")
            let missing = Digest.of([9, 9, 9])
            let type = ManifestAPITests.imageType
            let configField = #""config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(config)","size":2}"#
            let good = #"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#(layer)","size":3}"#
            let bad = #"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#(missing)","size":3}"#
            let text: String
            switch variant {
            case "duplicate layers": text = #"{"schemaVersion":2,"mediaType":"\#(type)",\#(configField),"layers":[\#(good)],"layers":[\#(bad)]}"#
            case "duplicate subject": text = #"{"schemaVersion":2,"mediaType":"\#(type)",\#(configField),"layers":[\#(good)],"subject":\#(good),"subject":\#(bad)}"#
            case "duplicate mediaType": text = #"{"schemaVersion":2,"mediaType":"\#(type)","mediaType":"application/vnd.oci.image.index.v1+json",\#(configField),"layers":[\#(good)]}"#
            case "Layers": text = #"{"schemaVersion":2,"mediaType":"\#(type)",\#(configField),"layers":[\#(good)],"Layers":[\#(bad)]}"#
            default: text = #"{"schemaVersion":2,"mediaType":"\#(type)",\#(configField),"layers":[\#(good)]}"#
            }
            var bytes = Array(text.utf8)
            if variant == "BOM" { bytes = [0xEF, 0xBB, 0xBF] + bytes }
            if variant == "UTF-16" { bytes = text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
            let response = try await registry.request(.put, "/v2/octo/app/manifests/v1", headers: [.contentType: type], body: bytes)
            #expect(response.status == .badRequest, "\(variant): \(response.status) \(response.text)")
            #expect(response.errorCode == "MANIFEST_INVALID")
            #expect(try await registry.request(.get, "/v2/octo/app/manifests/v1").status == .notFound)
        }
    }

    // MARK: Referrers

    @Test func referrersArePagedByCountAndByTheBytesTheyCarry() async throws {
        try await RegistryHarness.run { registry in
            let (subject, subjectBytes) = try await registry.pushImage("octo/app", tag: "v1", layers: [[1]])
            let empty = try await registry.pushBlob(Array("{}".utf8), to: "octo/app")
            let type = ManifestAPITests.imageType
            var pushed: [Digest] = []
            // 12 referrers of 600 KB of annotations each: 7 MB in all, more than one page holds.
            for index in 0..<12 {
                let note = String(repeating: Character(UnicodeScalar(UInt8(65 + index))), count: 600_000)
                let manifest = Array("""
                    {"schemaVersion":2,"mediaType":"\(type)","artifactType":"application/vnd.example.note","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"\(empty)","size":2},"layers":[],"subject":{"mediaType":"\(type)","digest":"\(subject)","size":\(subjectBytes.count)},"annotations":{"note":"\(note)"}}
                    """.utf8)
                let digest = Digest.of(manifest)
                let put = try await registry.request(.put, "/v2/octo/app/manifests/\(digest)", headers: [.contentType: type], body: manifest)
                #expect(put.status == .created)
                pushed.append(digest)
            }
            for query in ["", "?n=5", "?artifactType=application/vnd.example.note"] {
                var next: String? = "/v2/octo/app/referrers/\(subject)\(query)"
                var seen: [String] = []
                var pages = 0
                while let uri = next, pages < 20 {
                    let page = try await registry.request(.get, uri)
                    #expect(page.status == .ok)
                    #expect(page.body.readableBytes < ManifestParser.maximumSize + 700_000, "a page of \(page.body.readableBytes) bytes")
                    let index = try #require(try JSONSerialization.jsonObject(with: Data(page.bytes)) as? [String: Any])
                    let manifests = try #require(index["manifests"] as? [[String: Any]])
                    if query == "?n=5" { #expect(manifests.count <= 5) }
                    seen += manifests.compactMap { $0["digest"] as? String }
                    next = page.header("Link").flatMap { link in
                        link.hasSuffix(#">; rel="next""#) && link.hasPrefix("<") ? String(link.dropFirst().prefix { $0 != ">" }) : nil
                    }
                    pages += 1
                }
                #expect(pages > 1, "\(query): one page of 7 MB")
                #expect(Set(seen) == Set(pushed.map(\.description)) && seen.count == pushed.count, "\(query): every referrer exactly once")
            }
            let bad = try await registry.request(.get, "/v2/octo/app/referrers/\(subject)?last=nonsense")
            #expect(bad.status == .badRequest)
        }
    }

    // MARK: Slow clients

    @Test func headersTrickledSlowlyAreCutOff() async throws {
        try await RegistryHarness.run(configure: { $0.connections.headerTimeout = 1 }) { registry in
            let socket = try RawSocket(port: try #require(registry.client.port))
            try socket.send("GET /v2/ HTTP/1.1\r\nHost: localhost\r\n")
            var closed = false
            // A header line every 200 ms: always sending, never done.
            for index in 0..<100 where !closed {
                socket.sendIfOpen("X-Slow-\(index): y\r\n")
                closed = await socket.closes(withinMilliseconds: 200)
            }
            #expect(closed, "a connection trickling its headers for 20 s was kept")
            // A prompt client is served as before.
            let prompt = try RawSocket(port: try #require(registry.client.port))
            try prompt.send("GET /v2/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(try await prompt.receive(timeoutMilliseconds: 30_000).hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func aBodyThatStopsArrivingIsCutOff() async throws {
        try await RegistryHarness.run(configure: { $0.connections.bodyIdleTimeout = 1 }) { registry in
            let socket = try RawSocket(port: try #require(registry.client.port))
            try socket.send(
                "POST /v2/octo/app/blobs/uploads/?digest=\(Digest.of([1])) HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n0123456789")
            #expect(await socket.closes(withinMilliseconds: 15_000))
        }
    }

    @Test func oneAddressCannotHoldEveryConnection() async throws {
        try await RegistryHarness.run(configure: { $0.connections.perAddress = 3 }) { registry in
            let port = try #require(registry.client.port)
            // The test's own HTTP client may hold one connection already, so: of six
            // connections from one address, at most three are served.
            var held: [RawSocket] = []
            var refused = 0
            for _ in 0..<6 {
                let socket = try RawSocket(port: port)
                socket.sendIfOpen("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                if try await socket.receive(timeoutMilliseconds: 30_000).hasPrefix("HTTP/1.1 200") {
                    held.append(socket)
                } else {
                    refused += 1
                }
            }
            #expect((2...3).contains(held.count), "\(held.count) connections served")
            #expect(refused >= 3)
            held.removeAll()
            // The counter follows closed connections down again.
            var served = false
            for _ in 0..<50 where !served {
                let socket = try RawSocket(port: port)
                socket.sendIfOpen("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                served = try await socket.receive(timeoutMilliseconds: 5000).hasPrefix("HTTP/1.1 200")
            }
            #expect(served)
        }
    }
}
