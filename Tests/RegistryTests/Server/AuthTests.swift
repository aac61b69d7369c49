import BlobStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Registry
import TestSupport
import Testing

/// Token authentication end to end over HTTP: challenges, the token endpoint, refresh, Basic on
/// the API, and every refusal with its status and code.
@Suite("Accounts and access over HTTP")
struct AuthTests {
    static func withAuth(
        _ backend: DatabaseBackend = .sqlite, _ body: @escaping @Sendable (RegistryHarness) async throws -> Void
    ) async throws {
        try await RegistryHarness.run(backend: backend, configure: { $0.authMode = .token }, body)
    }

    static func basic(_ user: String, _ secret: String) -> HTTPFields {
        [.authorization: "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString()]
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    /// A user with a token of `scopes`.
    static func user(_ registry: RegistryHarness, _ name: String, scopes: Set<Scope> = Set(Scope.allCases), expires: Int64? = nil) async throws -> String {
        if try await registry.service.metadata.accounts.user(named: name) == nil {
            _ = try await registry.service.metadata.accounts.createUser(name, admin: false)
        }
        return try await registry.service.metadata.accounts.createToken(user: name, scopes: scopes, expires: expires, description: "test").token
    }

    static func token(_ registry: RegistryHarness, _ user: String?, _ secret: String?, scope: String, offline: Bool = false) async throws -> [String: Any] {
        let headers = user.map { basic($0, secret!) } ?? [:]
        let query = "service=stowage&scope=\(scope)\(offline ? "&offline_token=true" : "")"
        let response = try await registry.request(.get, "/token?\(query)", headers: headers)
        #expect(response.status == .ok, "token endpoint answered \(response.status): \(response.text)")
        return try JSONSerialization.jsonObject(with: Data(response.bytes)) as? [String: Any] ?? [:]
    }

    @Test func anonymousRequestsAreChallenged() async throws {
        try await Self.withAuth { registry in
            let base = try await registry.request(.get, "/v2/")
            #expect(base.status == .unauthorized)
            #expect(base.errorCode == "UNAUTHORIZED")
            #expect(base.header("WWW-Authenticate")?.hasPrefix(#"Bearer realm="http://"#) == true)
            #expect(base.header("WWW-Authenticate")?.contains(#"service="stowage""#) == true)
            let pull = try await registry.request(.get, "/v2/alice/app/manifests/v1")
            #expect(pull.header("WWW-Authenticate")?.contains(#"scope="repository:alice/app:pull""#) == true)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func loginPushPullAndRefresh(_ backend: DatabaseBackend) async throws {
        try await Self.withAuth(backend) { registry in
            let secret = try await Self.user(registry, "alice")
            let answer = try await Self.token(registry, "alice", secret, scope: "repository:alice/app:pull,push", offline: true)
            let access = try #require(answer["token"] as? String)
            let refresh = try #require(answer["refresh_token"] as? String)
            #expect((answer["expires_in"] as? Int ?? 0) >= 60)
            #expect(try await registry.request(.get, "/v2/", headers: Self.bearer(access)).status == .ok)

            let blob: [UInt8] = [1, 2, 3]
            let push = try await registry.request(.post, "/v2/alice/app/blobs/uploads/?digest=\(Digest.of(blob))", headers: Self.bearer(access), body: blob)
            #expect(push.status == .created)
            #expect(try await registry.request(.get, "/v2/alice/app/blobs/\(Digest.of(blob))", headers: Self.bearer(access)).bytes == blob)

            let refreshed = try await registry.request(
                .post, "/token", headers: [.contentType: "application/x-www-form-urlencoded"],
                body: Array("grant_type=refresh_token&refresh_token=\(refresh)&service=stowage&scope=repository:alice/app:pull&client_id=test".utf8))
            #expect(refreshed.status == .ok)
            let renewed = try #require((try JSONSerialization.jsonObject(with: Data(refreshed.bytes)) as? [String: Any])?["access_token"] as? String)
            #expect(try await registry.request(.head, "/v2/alice/app/blobs/\(Digest.of(blob))", headers: Self.bearer(renewed)).status == .ok)

            let password = try await registry.request(
                .post, "/token", headers: [.contentType: "application/x-www-form-urlencoded"],
                body: Array("grant_type=password&username=alice&password=\(secret)&service=stowage&scope=repository:alice/app:pull".utf8))
            #expect(password.status == .ok)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func basicCredentialsWorkStraightOnTheAPI(_ backend: DatabaseBackend) async throws {
        try await Self.withAuth(backend) { registry in
            let secret = try await Self.user(registry, "alice")
            #expect(try await registry.request(.get, "/v2/", headers: Self.basic("alice", secret)).status == .ok)
            let blob: [UInt8] = [4, 5]
            let push = try await registry.request(.post, "/v2/alice/app/blobs/uploads/?digest=\(Digest.of(blob))", headers: Self.basic("alice", secret), body: blob)
            #expect(push.status == .created)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func wrongRevokedAndExpiredTokensAreRefused(_ backend: DatabaseBackend) async throws {
        try await Self.withAuth(backend) { registry in
            let secret = try await Self.user(registry, "alice")
            let wrong = try await registry.request(.get, "/v2/", headers: Self.basic("alice", secret + "x"))
            #expect(wrong.status == .unauthorized)
            #expect(wrong.errorCode == "UNAUTHORIZED")
            #expect(!wrong.text.contains(secret), "a token never appears in an error body")

            let (revokedSecret, record) = try await registry.service.metadata.accounts.createToken(user: "alice", scopes: [.readPackages], expires: nil, description: "")
            try await registry.service.metadata.accounts.revokeToken(id: record.id)
            #expect(try await registry.request(.get, "/v2/", headers: Self.basic("alice", revokedSecret)).status == .unauthorized)

            // Two seconds ahead; a machine loaded enough to take longer than that to get to the
            // creation refuses the expiry as past, and the test asks again.
            var soon = UnixTime.now() + 2
            var expiring: String?
            for _ in 0..<10 where expiring == nil {
                soon = UnixTime.now() + 2
                do {
                    expiring = try await Self.user(registry, "alice", expires: soon)
                } catch AccountError.expiryInPast {}
            }
            let expiringSecret = try #require(expiring)
            while UnixTime.now() < soon { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await registry.request(.get, "/v2/", headers: Self.basic("alice", expiringSecret)).status == .unauthorized)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func scopesAndNamespacesAreEnforced(_ backend: DatabaseBackend) async throws {
        try await Self.withAuth(backend) { registry in
            let readOnly = try await Self.user(registry, "alice", scopes: [.readPackages])
            let blob: [UInt8] = [9]
            let push = try await registry.request(.post, "/v2/alice/app/blobs/uploads/?digest=\(Digest.of(blob))", headers: Self.basic("alice", readOnly), body: blob)
            #expect(push.status == .forbidden)
            #expect(push.errorCode == "DENIED")

            let bob = try await Self.user(registry, "bob")
            let intoAlice = try await registry.request(.post, "/v2/alice/app/blobs/uploads/", headers: Self.basic("bob", bob))
            #expect(intoAlice.status == .forbidden)
            // The token endpoint grants only what is allowed: no push on alice's namespace.
            let answer = try await Self.token(registry, "bob", bob, scope: "repository:alice/app:pull,push")
            let access = try #require(answer["token"] as? String)
            let withToken = try await registry.request(.post, "/v2/alice/app/blobs/uploads/", headers: Self.bearer(access))
            #expect(withToken.status == .unauthorized)
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func privatePackagesStayPrivateAndPublicOnesArePullable(_ backend: DatabaseBackend) async throws {
        try await Self.withAuth(backend) { registry in
            let alice = try await Self.user(registry, "alice")
            let bob = try await Self.user(registry, "bob")
            let blob: [UInt8] = [7, 7]
            let digest = Digest.of(blob)
            #expect(try await registry.request(.post, "/v2/alice/secret/blobs/uploads/?digest=\(digest)", headers: Self.basic("alice", alice), body: blob).status == .created)

            #expect(try await registry.request(.get, "/v2/alice/secret/blobs/\(digest)", headers: Self.basic("bob", bob)).status == .forbidden)
            #expect(try await registry.request(.get, "/v2/alice/secret/blobs/\(digest)").status == .unauthorized)
            // Mounting the digest into bob's own repository must not reveal it: a plain upload starts.
            let mount = try await registry.request(.post, "/v2/bob/app/blobs/uploads/?mount=\(digest)&from=alice/secret", headers: Self.basic("bob", bob))
            #expect(mount.status == .accepted)
            #expect(try await registry.request(.get, "/v2/bob/app/blobs/\(digest)", headers: Self.basic("bob", bob)).status == .notFound)
            let catalog = try await registry.request(.get, "/v2/_catalog", headers: Self.basic("bob", bob))
            #expect(!catalog.text.contains("alice/secret"))

            try await registry.service.metadata.accounts.setVisibility(repository: try RepositoryName(parsing: "alice/secret"), public: true)
            #expect(try await registry.request(.get, "/v2/alice/secret/blobs/\(digest)").bytes == blob)
            #expect(try await registry.request(.get, "/v2/_catalog", headers: Self.basic("bob", bob)).text.contains("alice/secret"))
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func forgedTamperedAndForeignTokensAreRefused(_ backend: DatabaseBackend) async throws {
        try await Self.withAuth(backend) { registry in
            let alice = try await Self.user(registry, "alice")
            let access = try #require(try await Self.token(registry, "alice", alice, scope: "repository:alice/app:pull")["token"] as? String)
            var parts = access.split(separator: ".").map(String.init)
            // Tampered: widen the claims but keep the signature.
            let claims = try #require(Data(base64Encoded: parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/").padding(toLength: (parts[1].count + 3) / 4 * 4, withPad: "=", startingAt: 0)))
            let widened = String(decoding: claims, as: UTF8.self).replacingOccurrences(of: "\"pull\"", with: "\"pull\",\"push\",\"delete\"")
            parts[1] = Data(widened.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            let tampered = parts.joined(separator: ".")
            #expect(try await registry.request(.get, "/v2/", headers: Self.bearer(tampered)).status == .unauthorized)
            #expect(try await registry.request(.get, "/v2/", headers: Self.bearer("not.a.jwt")).status == .unauthorized)
            let foreign = try await registry.request(.get, "/token?service=other&scope=repository:alice/app:pull", headers: Self.basic("alice", alice))
            #expect(foreign.status == .badRequest)
            // Signed with this registry's own key, but for another service: refused all the same.
            let keys = registry.service.signingKeys.keys
            let now = Int64(Date().timeIntervalSince1970)
            let otherService = try RegistryToken(
                subject: "alice", audience: "other", lifetime: 300, kind: .access,
                access: [AccessScope(type: "repository", name: "alice/app", actions: ["pull"])], tokenID: nil, now: now
            ).signed(with: keys)
            #expect(try await registry.request(.get, "/v2/alice/app/tags/list", headers: Self.bearer(otherService)).status == .unauthorized)
            // A refresh token is not an access token.
            let refresh = try RegistryToken(subject: "alice", audience: "stowage", lifetime: 300, kind: .refresh, access: [], tokenID: nil, now: now).signed(with: keys)
            #expect(try await registry.request(.get, "/v2/", headers: Self.bearer(refresh)).status == .unauthorized)
        }
    }

    /// The tenth failure of one credential backs it off for a second, the next for two, and so
    /// on; on a loaded machine the eleventh try may come after the first second, so the test
    /// goes on until the growing delay catches it.
    @Test func failedLoginsAreRateLimited() async throws {
        try await Self.withAuth { registry in
            _ = try await Self.user(registry, "alice")
            for _ in 0..<10 {
                #expect(try await registry.request(.get, "/v2/", headers: Self.basic("alice", "guess")).status == .unauthorized)
            }
            var limited = try await registry.request(.get, "/v2/", headers: Self.basic("alice", "guess"))
            for _ in 0..<10 where limited.status == .unauthorized {
                limited = try await registry.request(.get, "/v2/", headers: Self.basic("alice", "guess"))
            }
            #expect(limited.status == .tooManyRequests)
            #expect(limited.errorCode == "TOOMANYREQUESTS")
            #expect(limited.header("Retry-After") != nil)
        }
    }
}
