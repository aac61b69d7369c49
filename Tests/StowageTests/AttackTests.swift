import BlobStore
import Foundation
import TestSupport
import Testing

/// The attacks of the security review, run against the real `stowage serve` in token mode, as a
/// stranger and a signed-in user would run them, with what must hold afterwards: the server
/// still up and answering, its memory and its log bounded, and every refusal a 4xx. Each test
/// is bounded in requests and time.
@Suite("Attacks on a running server", .timeLimit(.minutes(3)))
struct AttackTests {
    static func basic(_ user: String, _ secret: String) -> [String: String] {
        ["Authorization": "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString()]
    }

    /// Runs `body` against a fresh token-mode server with the first administrator's token.
    static func withServer(
        environment: [String: String] = [:], _ body: (ServerProcess, String) async throws -> Void
    ) async throws {
        let server = try await ServerProcess.start(arguments: ["--auth", "token"], environment: environment)
        do {
            let admin = try #require(server.bootstrapToken)
            try await body(server, admin)
        } catch {
            _ = await server.stop()
            throw error
        }
        #expect(await server.stop() == 0)
    }

    /// Sends `count` requests, `width` at a time.
    static func flood(_ count: Int, width: Int = 8, _ request: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<width {
                group.addTask {
                    for index in stride(from: lane, to: count, by: width) { try await request(index) }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func credentialFloodsLeaveMemoryAndTheLogBounded() async throws {
        try await Self.withServer { server, _ in
            for _ in 0..<50 { _ = try await server.request("GET", "/v2/", headers: Self.basic("warm", "up")) }
            let before = try server.memory()
            let logBefore = server.standardError.utf8.count
            // 1,000 user names of 50 KB, then 2,000 distinct short ones with wrong tokens.
            try await Self.flood(1_000) { index in
                let response = try await server.request("GET", "/v2/", headers: Self.basic(String(repeating: "x", count: 50_000) + "\(index)", "secret"))
                #expect(response.status == 401)
            }
            try await Self.flood(2_000) { index in
                let response = try await server.request("GET", "/v2/", headers: Self.basic("user\(index)", "stw_\(index)"))
                #expect(response.status == 401)
            }
            let after = try server.memory()
            let logged = server.standardError.utf8.count - logBefore
            #expect(after.resident - before.resident < 40 << 20, "resident memory grew by \((after.resident - before.resident) >> 20) MiB")
            #expect(logged < 64 << 10, "the log grew by \(logged) bytes")
            #expect(try await server.request("GET", "/health").status == 200)
        }
    }

    @Test func slowClientsCannotHoldTheServer() async throws {
        try await Self.withServer(environment: ["STOWAGE_LIMITS_HEADER_TIMEOUT": "10"]) { server, admin in
            // 300 connections from one address that start a request and never finish its headers.
            var slow: [RawSocket] = []
            for _ in 0..<300 {
                let socket = try RawSocket(port: server.port, from: "127.0.0.2")
                socket.sendIfOpen("GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                slow.append(socket)
            }
            // A client at another address is answered while they hang on.
            #expect(try await server.request("GET", "/v2/", headers: Self.basic("admin", admin)).status == 200)
            // Past the 128 connections one address may hold, they are refused at once (given a
            // moment for the server to take them all off its backlog on a loaded machine)...
            try await Task.sleep(for: .seconds(2))
            var refused = 0
            for socket in slow where await socket.closes(withinMilliseconds: 1) { refused += 1 }
            #expect(refused >= 150 && refused < 300, "\(refused) of 300 refused at once")
            // ...and the rest are closed at the header timeout.
            var closed = 0
            for socket in slow where await socket.closes(withinMilliseconds: 15_000) { closed += 1 }
            #expect(closed == slow.count, "\(slow.count - closed) slow connections still held")
            #expect(try await server.request("GET", "/health").status == 200)
        }
    }

    @Test func destructiveNumbersForgedManifestsAndMalformedBodiesAreRefused() async throws {
        try await Self.withServer { server, admin in
            let auth = Self.basic("admin", admin)
            let overflow = Data(#"{"untaggedDays":9223372036854775807}"#.utf8)
            #expect(try await server.request("PUT", "/api/v1/retention/admin", headers: auth, body: overflow).status == 400)
            let limits = Data(#"{"untaggedDays":36500,"keepLast":1000000}"#.utf8)
            #expect(try await server.request("PUT", "/api/v1/retention/admin", headers: auth, body: limits).status == 204)
            #expect(try await server.request("POST", "/api/v1/gc", headers: auth).status == 200)

            let config = Data("{}".utf8)
            let configDigest = Digest.of(Array(config))
            #expect(try await server.request("POST", "/v2/admin/app/blobs/uploads/?digest=\(configDigest)", headers: auth, body: config).status == 201)
            let type = WireClient.manifestType
            let missing = Digest.of([1, 2, 3])
            let forged = Data("""
                {"schemaVersion":2,"mediaType":"\(type)","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(configDigest)","size":2},"layers":[],"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\(missing)","size":3}]}
                """.utf8)
            let put = try await server.request("PUT", "/v2/admin/app/manifests/v1", headers: auth.merging(["Content-Type": type]) { $1 }, body: forged)
            #expect(put.status == 400)
            #expect(put.text.contains("MANIFEST_INVALID"))

            for size in ["zz", "-1", "fffffffffffffffffffff"] {
                let socket = try RawSocket(port: server.port)
                try socket.send("POST /v2/admin/app/blobs/uploads/?digest=\(missing) HTTP/1.1\r\nHost: x\r\nAuthorization: \(auth["Authorization"]!)\r\nTransfer-Encoding: chunked\r\n\r\n\(size)\r\nabc\r\n0\r\n\r\n")
                let answer = String(decoding: try await socket.receiveUntilClosed(timeoutMilliseconds: 30_000), as: UTF8.self)
                #expect(answer.hasPrefix("HTTP/1.1 400"), "chunk size \(size): \(answer)")
            }
            #expect(!server.standardError.contains(" error "), "client errors logged as the server's: \(server.standardError)")
            #expect(try await server.request("GET", "/health").status == 200)
        }
    }

    @Test func aTokenRevokedByTheAdminCommandIsRefusedAtOnce() async throws {
        try await Self.withServer { server, _ in
            let data = server.dataDirectory
            _ = try await SkopeoLoginTests.stowage(["user", "add", "alice", "--data-dir", data])
            let secret = try await SkopeoLoginTests.stowage(["token", "create", "--user", "alice", "--scopes", "write:packages", "--data-dir", data])
            let answer = try await server.request("GET", "/token?service=stowage&scope=repository:alice/app:pull,push", headers: Self.basic("alice", secret))
            let json = try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
            let bearer = ["Authorization": "Bearer \(try #require(json["token"] as? String))"]
            #expect(try await server.request("GET", "/v2/alice/app/tags/list", headers: bearer).status == 404)
            let id = String(secret.dropFirst(4).prefix(12))
            _ = try await SkopeoLoginTests.stowage(["token", "revoke", id, "--data-dir", data])
            #expect(try await server.request("GET", "/v2/alice/app/tags/list", headers: bearer).status == 401)
        }
    }

    @Test func hugeReferrersListsLeaveMemoryBounded() async throws {
        try await Self.withServer { server, admin in
            let auth = Self.basic("admin", admin)
            let type = WireClient.manifestType
            let empty = Digest.of(Array("{}".utf8))
            #expect(try await server.request("POST", "/v2/admin/app/blobs/uploads/?digest=\(empty)", headers: auth, body: Data("{}".utf8)).status == 201)
            let subjectManifest = Data("""
                {"schemaVersion":2,"mediaType":"\(type)","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(empty)","size":2},"layers":[]}
                """.utf8)
            let subject = (digest: Digest.of(Array(subjectManifest)), size: subjectManifest.count)
            #expect(try await server.request("PUT", "/v2/admin/app/manifests/v1", headers: auth.merging(["Content-Type": type]) { $1 }, body: subjectManifest).status == 201)
            for index in 0..<10 {
                let note = String(repeating: Character(UnicodeScalar(UInt8(65 + index))), count: 3_500_000)
                let manifest = Data("""
                    {"schemaVersion":2,"mediaType":"\(type)","artifactType":"application/vnd.example.note","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"\(empty)","size":2},"layers":[],"subject":{"mediaType":"\(type)","digest":"\(subject.digest)","size":\(subject.size)},"annotations":{"note":"\(note)"}}
                    """.utf8)
                let put = try await server.request("PUT", "/v2/admin/app/manifests/\(Digest.of(Array(manifest)))", headers: auth.merging(["Content-Type": type]) { $1 }, body: manifest)
                #expect(put.status == 201)
            }
            let before = try server.memory()
            try await Self.flood(4, width: 4) { _ in
                var next: String? = "/v2/admin/app/referrers/\(subject.digest)"
                var seen = 0
                while let path = next {
                    let page = try await server.request("GET", path, headers: auth)
                    #expect(page.status == 200)
                    seen += (try JSONSerialization.jsonObject(with: page.body) as? [String: Any])?["manifests"].map { ($0 as? [Any])?.count ?? 0 } ?? 0
                    next = page.header("Link").map { String($0.dropFirst().prefix { $0 != ">" }) }
                }
                #expect(seen == 10)
            }
            let after = try server.memory()
            #expect(after.peak - before.resident < 200 << 20, "peak memory grew by \((after.peak - before.resident) >> 20) MiB")
        }
    }
}
