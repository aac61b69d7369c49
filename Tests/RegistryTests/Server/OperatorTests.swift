import BlobStore
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Registry
import TestSupport
import Testing

/// What an operator sees and sets: the access log, request ids, and the reverse proxies whose
/// forwarded headers are believed.
@Suite("Operators: access log and proxies")
struct OperatorTests {
    /// An access log writing into a temporary file, and a way to read its lines once written.
    struct LogFile {
        let path: String
        let log: AccessLog

        init(format: AccessLog.Format) throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString).log").path
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            log = AccessLog(format: format, output: try FileHandle(forWritingTo: URL(fileURLWithPath: path)))
        }

        /// The lines once `count` have been written (the writer is a thread of its own).
        func lines(atLeast count: Int) async throws -> [String] {
            for _ in 0..<200 {
                let lines = (try String(contentsOfFile: path, encoding: .utf8)).split(separator: "\n").map(String.init)
                if lines.count >= count { return lines }
                try await Task.sleep(for: .milliseconds(20))
            }
            return (try String(contentsOfFile: path, encoding: .utf8)).split(separator: "\n").map(String.init)
        }
    }

    @Test func everyRequestIsOneJSONLineWithWhoWhatAndHowMuch() async throws {
        let file = try LogFile(format: .json)
        defer { file.log.close(); try? FileManager.default.removeItem(atPath: file.path) }
        try await RegistryHarness.run(configure: { $0.authMode = .token }, accessLog: file.log) { registry in
            let alice = try await AuthTests.user(registry, "alice")
            let blob = [UInt8](repeating: 7, count: 3 << 20)
            let digest = try await registry.pushBlob(blob, to: "alice/app", headers: AuthTests.basic("alice", alice))
            let get = try await registry.request(.get, "/v2/alice/app/blobs/\(digest)", headers: AuthTests.basic("alice", alice))
            #expect(get.bytes.count == blob.count)
            let id = try #require(get.header("X-Request-Id"))
            _ = try await registry.request(.get, "/v2/")
            let lines = try await file.lines(atLeast: 3)
            let entries = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(entries.count == lines.count, "every line is JSON: \(lines)")
            let push = try #require(entries.first { ($0["method"] as? String) == "POST" })
            #expect(push["user"] as? String == "alice")
            #expect(push["status"] as? Int == 201)
            #expect(push["bytes_in"] as? Int == blob.count)
            #expect(push["remote"] as? String == "127.0.0.1")
            let pull = try #require(entries.first { ($0["request_id"] as? String) == id })
            #expect(pull["bytes_out"] as? Int == blob.count)
            #expect(pull["status"] as? Int == 200)
            #expect((pull["duration_ms"] as? Double ?? -1) >= 0)
            let anonymous = try #require(entries.first { ($0["path"] as? String) == "/v2/" })
            #expect(anonymous["status"] as? Int == 401)
            #expect(anonymous["user"] == nil)
        }
    }

    @Test func textLinesEscapeWhatTheRequestSent() async throws {
        let file = try LogFile(format: .text)
        defer { file.log.close(); try? FileManager.default.removeItem(atPath: file.path) }
        try await RegistryHarness.run(accessLog: file.log) { registry in
            let socket = try RawSocket(port: try #require(registry.client.port))
            // A quote would end the quoted request in the line early; the parser takes it in a path.
            try socket.send("GET /v2/a%0Ab\"x/tags/list HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            _ = try await socket.receiveUntilClosed(timeoutMilliseconds: 30_000)
            let lines = try await file.lines(atLeast: 1)
            #expect(lines.count == 1)
            #expect(lines.first?.contains(#" 127.0.0.1 - "GET /v2/a%0Ab\"x/tags/list" 400 "#) == true, "\(lines)")
        }
    }

    @Test func forwardedHeadersCountOnlyFromTrustedProxies() async throws {
        let file = try LogFile(format: .json)
        defer { file.log.close(); try? FileManager.default.removeItem(atPath: file.path) }
        // Loopback is not trusted: a client cannot pick its address or its challenge's URL.
        try await RegistryHarness.run(configure: { $0.authMode = .token }, accessLog: file.log) { registry in
            let forged: HTTPFields = [
                .xForwardedFor: "203.0.113.9", .xForwardedProto: "https", .xForwardedHost: "evil.example",
            ]
            let response = try await registry.request(.get, "/v2/", headers: forged)
            #expect(response.header("WWW-Authenticate")?.contains(#"realm="http://localhost"#) == true || response.header("WWW-Authenticate")?.contains(#"realm="http://127.0.0.1"#) == true)
            let lines = try await file.lines(atLeast: 1)
            #expect(lines.first?.contains(#""remote":"127.0.0.1""#) == true)
        }
        let trusted = try LogFile(format: .json)
        defer { trusted.log.close(); try? FileManager.default.removeItem(atPath: trusted.path) }
        try await RegistryHarness.run(
            configure: { $0.authMode = .token; $0.trustedProxies = TrustedProxies(parsing: "127.0.0.0/8, ::1")! }, accessLog: trusted.log
        ) { registry in
            let forwarded: HTTPFields = [
                .xForwardedFor: "198.51.100.1, 203.0.113.9", .xForwardedProto: "https", .xForwardedHost: "registry.example.com",
                .requestID: "proxy-id-42",
            ]
            let response = try await registry.request(.get, "/v2/", headers: forwarded)
            #expect(response.header("WWW-Authenticate")?.hasPrefix(#"Bearer realm="https://registry.example.com/token""#) == true)
            #expect(response.header("X-Request-Id") == "proxy-id-42")
            let lines = try await trusted.lines(atLeast: 1)
            // The rightmost address the proxy saw; the one before it is the client's own claim.
            #expect(lines.first?.contains(#""remote":"203.0.113.9""#) == true)
        }
    }

    @Test func trustedProxyRangesParseAndMatch() throws {
        let proxies = try #require(TrustedProxies(parsing: "10.0.0.0/8, 192.168.1.7, fd00::/8"))
        #expect(proxies.trusts("10.200.3.4"))
        #expect(!proxies.trusts("11.0.0.1"))
        #expect(proxies.trusts("192.168.1.7"))
        #expect(!proxies.trusts("192.168.1.8"))
        #expect(proxies.trusts("fd12::1"))
        #expect(!proxies.trusts("fe80::1"))
        #expect(!proxies.trusts("not an address"))
        #expect(TrustedProxies(parsing: "10.0.0.0/33") == nil)
        #expect(TrustedProxies(parsing: "example.com") == nil)
        #expect(proxies.client(peer: "10.0.0.1", forwardedFor: ["1.2.3.4, 10.0.0.2"]) == "1.2.3.4")
        #expect(proxies.client(peer: "8.8.8.8", forwardedFor: ["1.2.3.4"]) == "8.8.8.8")
        #expect(proxies.client(peer: "10.0.0.1", forwardedFor: ["garbage"]) == "10.0.0.1")
    }
}
