import BlobStore
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Registry
import TestSupport
import Testing

/// What a stranger or a signed-in user tries against authentication and authorisation: floods of
/// credentials, secrets in the wrong field, forged challenges, read-only tokens on destructive
/// endpoints, tokens used after their revocation.
@Suite("Security: authentication and authorisation")
struct AuthSecurityTests {
    /// A site administrator with one token of `scopes`.
    static func administrator(_ registry: RegistryHarness, scopes: Set<Scope>) async throws -> String {
        if try await registry.service.metadata.accounts.user(named: "root") == nil {
            _ = try await registry.service.metadata.accounts.createUser("root", admin: true)
        }
        return try await registry.service.metadata.accounts.createToken(user: "root", scopes: scopes, expires: nil, description: "test").token
    }

    static let staleToken = "stw_000000000000_" + String(repeating: "A", count: 43)

    // MARK: Credential floods

    @Test func theFailedLoginTableStaysBounded() {
        let limiter = LoginRateLimiter(limit: 3, window: 300, maximumDelay: 60, capacity: 100)
        for index in 0..<10_000 {
            limiter.recordFailure(LoginRateLimiter.key(user: "user\(index)", address: "192.0.2.1", secret: "guess"), now: 1_000)
        }
        #expect(limiter.count <= 100)
        // Entries whose window has passed go first.
        let full = LoginRateLimiter(limit: 3, window: 300, maximumDelay: 60, capacity: 100)
        for index in 0..<100 {
            full.recordFailure(LoginRateLimiter.key(user: "user\(index)", address: "192.0.2.1", secret: "guess"), now: 1_000)
        }
        full.recordFailure(LoginRateLimiter.key(user: "late", address: "192.0.2.1", secret: "guess"), now: 10_000)
        #expect(full.count == 1)
    }

    @Test func longUserNamesAreRefusedWithoutFillingTheLog() async throws {
        let logs = LogCapture()
        try await RegistryHarness.run(configure: { $0.authMode = .token }, logs: logs) { registry in
            let long = String(repeating: "a", count: 10_000)
            let huge = String(repeating: "b", count: 50_000)
            let start = ContinuousClock.now
            for index in 0..<300 {
                let name = index.isMultiple(of: 2) ? long + "\(index)" : huge
                let response = try await registry.request(.get, "/v2/", headers: AuthTests.basic(name, "secret"))
                #expect(response.status == .unauthorized)
            }
            // 20 lines per 10 s window of the throttle, however slow the machine ran the loop.
            let windows = Int((ContinuousClock.now - start) / .seconds(10)) + 1
            let loginLines = logs.all.filter { $0.contains("login") }
            #expect(loginLines.count <= 20 * windows, "\(loginLines.count) lines for 300 refused logins in \(windows) windows")
            #expect(logs.text.utf8.count < 400 * 20 * windows, "\(logs.text.utf8.count) bytes of log for 300 refused logins")
            #expect(!logs.text.contains(String(repeating: "a", count: 200)))
        }
    }

    @Test func aFailingCredentialIsBackedOffWithoutLockingOutTheRightOne() async throws {
        try await RegistryHarness.run(configure: { $0.authMode = .token; $0.auth.maximumFailures = 3 }) { registry in
            let secret = try await AuthTests.user(registry, "alice")
            var refusal: TestResponse?
            for _ in 0..<20 where refusal == nil {
                let response = try await registry.request(.get, "/v2/", headers: AuthTests.basic("alice", Self.staleToken))
                if response.status == .tooManyRequests { refusal = response } else { #expect(response.status == .unauthorized) }
            }
            let limited = try #require(refusal, "a credential failing 20 times in a row is never backed off")
            #expect(limited.errorCode == "TOOMANYREQUESTS")
            #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
            // The user's correct token, from the same address, at once.
            #expect(try await registry.request(.get, "/v2/", headers: AuthTests.basic("alice", secret)).status == .ok)
            let issued = try await registry.request(.get, "/token?service=stowage", headers: AuthTests.basic("alice", secret))
            #expect(issued.status == .ok)
        }
    }

    // MARK: Logs

    @Test func credentialsNeverReachTheLogAndUserNamesCannotForgeLines() async throws {
        let logs = LogCapture()
        try await RegistryHarness.run(configure: { $0.authMode = .token }, logs: logs) { registry in
            let secret = try await AuthTests.user(registry, "alice")
            // User name and token swapped, as a hurried login does.
            _ = try await registry.request(.get, "/v2/", headers: AuthTests.basic(secret, "alice"))
            _ = try await registry.request(.post, "/token", headers: [.contentType: "application/x-www-form-urlencoded"],
                body: Array("grant_type=password&service=stowage&username=\(secret)&password=alice".utf8))
            _ = try await registry.request(.get, "/v2/", headers: AuthTests.basic("mallory\ninfo login ok user=admin \u{1b}[2J\u{202e}", "x"))
            let text = logs.text
            #expect(logs.all.contains { $0.contains("login failed") })
            #expect(!text.contains(secret))
            #expect(!text.contains(PersonalAccessToken.prefix))
            #expect(!logs.all.contains { $0.contains("\n") || $0.contains("\u{1b}") || $0.contains("\u{202e}") })
            #expect(text.contains(#"mallory\ninfo login ok"#))
        }
    }

    @Test func userNamesInLogsAreShownRedactedOrEscaped() {
        #expect(LogText.userName("alice") == "alice")
        #expect(!LogText.userName(Self.staleToken).contains("AAAA"))
        #expect(!LogText.userName("eyJhbGciOiJIUzI1NiJ9.e30.c2ln").contains("eyJ"))
        #expect(LogText.userName("Bob\r\n") == #"Bob\r\n"#)
        #expect(LogText.escaped("a\u{0}b\u{7f}c\u{85}d\"e\\") == #"a\u0000b\u007fc\u0085d\"e\\"#)
    }

    // MARK: Challenges

    @Test func theChallengeCannotBeSteeredByTheHostHeader() async throws {
        try await AuthTests.withAuth { registry in
            let socket = try RawSocket(port: try #require(registry.client.port))
            try socket.send("GET /v2/ HTTP/1.1\r\nHost: evil.example\",error=\"x\r\nConnection: close\r\n\r\n")
            let answer = String(decoding: try await socket.receiveUntilClosed(timeoutMilliseconds: 30_000), as: UTF8.self)
            let challenge = try #require(answer.split(separator: "\r\n").first { $0.lowercased().hasPrefix("www-authenticate:") })
            #expect(!challenge.contains("evil"))
            #expect(!challenge.contains("error="))
            #expect(challenge.contains(#"realm="http://127.0.0.1:"#))
        }
        try await RegistryHarness.run(configure: { $0.authMode = .token; $0.publicURL = "https://registry.example.com" }) { registry in
            let response = try await registry.request(.get, "/v2/alice/app/tags/list")
            #expect(response.header("WWW-Authenticate")
                == #"Bearer realm="https://registry.example.com/token",service="stowage",scope="repository:alice/app:pull""#)
        }
        #expect(Authenticator.quoted(#"a"b\c"#) == #""a\"b\\c""#)
        #expect(TokenRealm.isPlainAuthority("registry.example.com:5000"))
        #expect(TokenRealm.isPlainAuthority("[::1]:5000"))
        #expect(!TokenRealm.isPlainAuthority("a\"b"))
        #expect(!TokenRealm.isPlainAuthority("a/b:80"))
        #expect(!TokenRealm.isPlainAuthority("host:99999999"))
    }

    // MARK: Scopes on administrative actions

    @Test func anAdministratorsReadOnlyTokenCannotCollect() async throws {
        try await AuthTests.withAuth { registry in
            let readOnly = try await Self.administrator(registry, scopes: [.readPackages])
            let deleting = try await Self.administrator(registry, scopes: [.deletePackages])
            let refused = try await registry.request(.post, "/api/v1/gc", headers: AuthTests.basic("root", readOnly))
            #expect(refused.status == .forbidden)
            #expect(refused.errorCode == "DENIED")
            #expect(refused.text.contains("delete:packages"))
            #expect(try await registry.request(.post, "/api/v1/gc?dry_run=true", headers: AuthTests.basic("root", readOnly)).status == .ok)
            #expect(try await registry.request(.post, "/api/v1/gc", headers: AuthTests.basic("root", deleting)).status == .ok)
        }
    }

    @Test func metricsAreForAdministratorsUnlessConfiguredOtherwise() async throws {
        try await AuthTests.withAuth { registry in
            #expect(try await registry.request(.get, "/metrics").status == .unauthorized)
            let alice = try await AuthTests.user(registry, "alice")
            #expect(try await registry.request(.get, "/metrics", headers: AuthTests.basic("alice", alice)).status == .forbidden)
            let root = try await Self.administrator(registry, scopes: [.readPackages])
            let metrics = try await registry.request(.get, "/metrics", headers: AuthTests.basic("root", root))
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains("stowage_"))
        }
        try await RegistryHarness.run(configure: { $0.authMode = .token; $0.auth.metricsAccess = .open }) { registry in
            let metrics = try await registry.request(.get, "/metrics")
            #expect(metrics.status == .ok)
        }
        try await RegistryHarness.run(configure: { $0.auth.metricsAccess = .off }) { registry in
            let metrics = try await registry.request(.get, "/metrics")
            #expect(metrics.status == .notFound)
        }
    }

    // MARK: Revocation

    @Test func revokingATokenOrDisablingItsUserRefusesItsBearerTokensAtOnce() async throws {
        try await AuthTests.withAuth { registry in
            let accounts = registry.service.metadata.accounts
            _ = try await accounts.createUser("alice", admin: false)
            let (secret, record) = try await accounts.createToken(user: "alice", scopes: Set(Scope.allCases), expires: nil, description: "ci")
            let answer = try await AuthTests.token(registry, "alice", secret, scope: "repository:alice/app:pull,push", offline: true)
            let access = try #require(answer["token"] as? String)
            let refresh = try #require(answer["refresh_token"] as? String)
            let blob: [UInt8] = [7, 7, 7]
            let digest = try await registry.pushBlob(blob, to: "alice/app", headers: AuthTests.bearer(access))
            #expect(try await registry.request(.head, "/v2/alice/app/blobs/\(digest)", headers: AuthTests.bearer(access)).status == .ok)

            try await accounts.setUserDisabled("alice", disabled: true)
            #expect(try await registry.request(.head, "/v2/alice/app/blobs/\(digest)", headers: AuthTests.bearer(access)).status == .unauthorized)
            try await accounts.setUserDisabled("alice", disabled: false)
            #expect(try await registry.request(.head, "/v2/alice/app/blobs/\(digest)", headers: AuthTests.bearer(access)).status == .ok)

            try await accounts.revokeToken(id: record.id)
            #expect(try await registry.request(.head, "/v2/alice/app/blobs/\(digest)", headers: AuthTests.bearer(access)).status == .unauthorized)
            let push = try await registry.request(
                .post, "/v2/alice/app/blobs/uploads/?digest=\(Digest.of([8]))", headers: AuthTests.bearer(access), body: [8])
            #expect(push.status == .unauthorized)
            let refreshed = try await registry.request(
                .post, "/token", headers: [.contentType: "application/x-www-form-urlencoded"],
                body: Array("grant_type=refresh_token&service=stowage&refresh_token=\(refresh)".utf8))
            #expect(refreshed.status == .unauthorized)
        }
    }

    @Test func noTokenOutlivesThePersonalAccessTokenItCameFrom() async throws {
        try await AuthTests.withAuth { registry in
            let secret = try await AuthTests.user(registry, "alice", expires: UnixTime.now() + 100)
            let answer = try await AuthTests.token(registry, "alice", secret, scope: "repository:alice/app:pull", offline: true)
            #expect((answer["expires_in"] as? Int ?? .max) <= 100)
            let keys = registry.service.signingKeys.keys
            for field in ["token", "refresh_token"] {
                let text = try #require(answer[field] as? String)
                let token = try RegistryToken.verify(text, keys: keys, audience: "stowage", now: UnixTime.now())
                #expect(token.expires <= UnixTime.now() + 100, "\(field) expires after its personal access token")
            }
        }
    }
}
