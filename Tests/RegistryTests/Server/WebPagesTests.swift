import BlobStore
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Registry
import TestSupport
import Testing

/// The web interface over HTTP: every page and action, for whom it is meant and refused to
/// everyone else, with its protections (sessions ended with their token, CSRF tokens, escaping,
/// the security headers).
@Suite("Package pages")
struct WebPagesTests {
    static func withAuth(
        _ backend: DatabaseBackend = .sqlite, configure: @escaping (inout RegistryServer.Configuration) -> Void = { _ in },
        _ body: @escaping @Sendable (RegistryHarness) async throws -> Void
    ) async throws {
        try await RegistryHarness.run(backend: backend, configure: { $0.authMode = .token; configure(&$0) }, body)
    }

    /// An image whose config carries labels and whose manifest carries annotations.
    @discardableResult
    static func pushLabelled(
        _ registry: RegistryHarness, _ name: String, tag: String, labels: [String: String], annotations: [String: String] = [:],
        headers: HTTPFields
    ) async throws -> Digest {
        let layer = Array("layer of \(name):\(tag)".utf8)
        let config = try JSONSerialization.data(withJSONObject: [
            "architecture": "arm64", "os": "linux", "created": "2026-11-30T12:00:00Z",
            "config": ["Entrypoint": ["/usr/bin/app"], "Cmd": ["--port", "80"], "Labels": labels],
            "rootfs": ["type": "layers", "diff_ids": [Digest.of(layer).description]],
        ] as [String: Any], options: [.sortedKeys])
        let configDigest = try await registry.pushBlob(Array(config), to: name, headers: headers)
        let layerDigest = try await registry.pushBlob(layer, to: name, headers: headers)
        let manifest = try JSONSerialization.data(withJSONObject: [
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": configDigest.description, "size": config.count],
            "layers": [["mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layerDigest.description, "size": layer.count]],
            "annotations": annotations,
        ] as [String: Any], options: [.sortedKeys])
        var manifestHeaders = headers
        manifestHeaders[.contentType] = "application/vnd.oci.image.manifest.v1+json"
        let response = try await registry.request(.put, "/v2/\(name)/manifests/\(tag)", headers: manifestHeaders, body: Array(manifest))
        #expect(response.status == .created, "push answered \(response.status): \(response.text)")
        return Digest.of(Array(manifest))
    }

    static func h1(_ response: TestResponse) -> String? {
        PageClient.firstMatch(#"<h1>(.*?)</h1>"#, in: response.text)
    }

    @Test(arguments: DatabaseBackend.databases) func anonymousVisitorsSeePublicPackagesOnly(_ backend: DatabaseBackend) async throws {
        try await Self.withAuth(backend) { registry in
            let alice = AuthTests.basic("alice", try await AuthTests.user(registry, "alice"))
            try await registry.pushImage("alice/app/private", tag: "v1", layers: [Array("p".utf8)], headers: alice)
            try await registry.pushImage("alice/app/public", tag: "v1", layers: [Array("q".utf8)], headers: alice)
            try await registry.service.metadata.accounts.setVisibility(repository: RepositoryName(parsing: "alice/app/public"), public: true)

            let browser = PageClient(registry)
            let home = try await browser.get("/")
            #expect(home.status == .ok)
            #expect(home.text.contains("alice/app/public"))
            #expect(!home.text.contains("alice/app/private"))
            #expect(home.text.contains(#"id="sign-in""#))
            // A private package's pages are not found for a stranger, exactly as a missing one.
            for path in ["/-/packages/alice/app/private", "/-/packages/nobody/nothing"] {
                let page = try await browser.get(path)
                #expect(page.status == .notFound)
                #expect(Self.h1(page) == "Not found")
                #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            }
            let open = try await browser.get("/-/packages/alice/app/public")
            #expect(open.status == .ok)
            #expect(open.text.contains("docker pull "))
            #expect(open.text.contains("/alice/app/public:v1"))
            // Settings need a signed-in owner: the visitor is sent to sign in, and back.
            let settings = try await browser.get("/-/packages/alice/app/public/-/settings")
            #expect(settings.status == .seeOther)
            #expect(settings.header("Location") == "/-/signin?next=/-/packages/alice/app/public/-/settings")
        }
    }

    @Test func signingInSetsAProtectedSessionCookieAndSigningOutEndsIt() async throws {
        try await Self.withAuth { registry in
            let secret = try await AuthTests.user(registry, "alice")
            try await registry.pushImage("alice/app/web", tag: "v1", layers: [Array("a".utf8)], headers: AuthTests.basic("alice", secret))
            let browser = PageClient(registry)
            let wrong = try await browser.signIn("alice", "stw_000000000000_wrongwrongwrongwrongwrongwrongwrongwrongwrong")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("Wrong user name or token."))
            #expect(browser.cookies["stowage_session"] == nil)

            let signedIn = try await browser.signIn("alice", secret, next: "/-/packages/alice/app/web")
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.header("Location") == "/-/packages/alice/app/web")
            let cookie = try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("stowage_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
            #expect(!cookie.contains("Secure"), "served over plain HTTP")
            #expect(!cookie.contains(secret) && !signedIn.text.contains(secret))
            let page = try await browser.get("/-/packages/alice/app/web")
            #expect(page.status == .ok)
            #expect(page.text.contains("Sign out alice"))
            #expect(page.text.contains(#"id="package-settings""#))

            // The session cookie is good for nothing on the API.
            let session = try #require(browser.cookies["stowage_session"])
            #expect(try await registry.request(.get, "/v2/", headers: AuthTests.bearer(session)).status == .unauthorized)

            // A sign-in page never sends anyone to another site.
            #expect(WebRoutes.safeNext("//evil.example/x") == "/")
            #expect(WebRoutes.safeNext("https://evil.example/") == "/")
            #expect(WebRoutes.safeNext("/-/tokens") == "/-/tokens")

            let out = try await browser.post("/-/signout")
            #expect(out.status == .seeOther)
            #expect(browser.cookies["stowage_session"] == nil)
            #expect(try await browser.get("/-/packages/alice/app/web").status == .notFound)
        }
    }

    @Test func formsWithoutTheirCSRFTokenAreRefusedAndChangeNothing() async throws {
        try await Self.withAuth { registry in
            let secret = try await AuthTests.user(registry, "alice")
            let image = try await registry.pushImage("alice/app/web", tag: "v1", layers: [Array("a".utf8)], headers: AuthTests.basic("alice", secret))
            let browser = PageClient(registry)
            try await browser.signIn("alice", secret)
            let path = "/-/packages/alice/app/web/-/versions/\(image.digest)/delete"
            for forged in ["", "not-the-token"] {
                let refused = try await browser.post(path, csrf: forged)
                #expect(refused.status == .forbidden)
                #expect(refused.text.contains("expired or was sent from another site"))
            }
            // Another visitor's token does not pass in this session.
            let other = PageClient(registry)
            try await other.signIn("alice", secret)
            #expect(try await browser.post(path, csrf: other.csrf).status == .forbidden)
            #expect(try await registry.request(.get, "/v2/alice/app/web/manifests/v1", headers: AuthTests.basic("alice", secret)).status == .ok)

            #expect(try await browser.get("/-/packages/alice/app/web/-/versions/\(image.digest)").status == .ok)
            #expect(try await browser.post(path).status == .seeOther)
            #expect(try await registry.request(.get, "/v2/alice/app/web/manifests/v1", headers: AuthTests.basic("alice", secret)).status == .notFound)
        }
    }

    @Test func aReadOnlySessionAndAStrangerAreRefused() async throws {
        try await Self.withAuth { registry in
            let secret = try await AuthTests.user(registry, "alice")
            let reader = try await AuthTests.user(registry, "alice", scopes: [.readPackages])
            let bob = try await AuthTests.user(registry, "bob")
            let image = try await registry.pushImage("alice/app/web", tag: "v1", layers: [Array("a".utf8)], headers: AuthTests.basic("alice", secret))

            let readOnly = PageClient(registry)
            try await readOnly.signIn("alice", reader)
            let package = try await readOnly.get("/-/packages/alice/app/web")
            #expect(package.status == .ok)
            #expect(!package.text.contains(#"id="package-settings""#))
            let settings = try await readOnly.get("/-/packages/alice/app/web/-/settings")
            #expect(settings.status == .forbidden)
            #expect(settings.text.contains("without the delete:packages scope"))
            #expect(try await readOnly.post("/-/packages/alice/app/web/-/versions/\(image.digest)/delete").status == .forbidden)
            #expect(try await readOnly.post("/-/packages/alice/app/web/-/visibility", [("visibility", "public")]).status == .forbidden)
            // Nor can it mint itself a stronger token.
            try await readOnly.get("/-/tokens")
            let escalation = try await readOnly.post("/-/tokens", [("scope", "delete:packages"), ("expiry", "7")])
            #expect(escalation.status == .forbidden)
            #expect(try await registry.service.metadata.accounts.tokens(of: "alice").count == 2)

            let stranger = PageClient(registry)
            try await stranger.signIn("bob", bob)
            for path in ["/-/packages/alice/app/web", "/-/packages/alice/app/web/-/settings", "/-/packages/alice/app/web/-/versions/\(image.digest)"] {
                #expect(try await stranger.get(path).status == .notFound, "\(path)")
            }
            #expect(try await stranger.post("/-/packages/alice/app/web/-/delete", [("confirm", "alice/app/web")]).status == .notFound)
            #expect(try await stranger.post("/-/orgs/acme/members", [("user", "bob"), ("role", "admin")]).status == .notFound)
            #expect(try await stranger.get("/-/admin").status == .notFound)
            #expect(try await registry.request(.get, "/v2/alice/app/web/manifests/v1", headers: AuthTests.basic("alice", secret)).status == .ok)
        }
    }

    @Test func revokingTheTokenEndsItsSession() async throws {
        try await Self.withAuth { registry in
            let secret = try await AuthTests.user(registry, "alice")
            let browser = PageClient(registry)
            try await browser.signIn("alice", secret)
            #expect(try await browser.get("/-/tokens").status == .ok)
            let id = try #require(try await registry.service.metadata.accounts.tokens(of: "alice").first?.id)
            try await registry.service.metadata.accounts.revokeToken(id: id)
            let after = try await browser.get("/-/tokens")
            #expect(after.status == .seeOther)
            #expect(after.header("Location") == "/-/signin?next=/-/tokens")
            #expect(browser.cookies["stowage_session"] == nil, "the dead session's cookie is cleared")
        }
    }

    @Test(arguments: DatabaseBackend.databases) func deletingAndRestoringThroughThePages(_ backend: DatabaseBackend) async throws {
        try await Self.withAuth(backend) { registry in
            let secret = try await AuthTests.user(registry, "alice")
            let alice = AuthTests.basic("alice", secret)
            let v1 = try await registry.pushImage("alice/app/web", tag: "v1", layers: [Array("one".utf8)], headers: alice)
            try await registry.pushImage("alice/app/web", tag: "v2", layers: [Array("two".utf8)], headers: alice)
            let browser = PageClient(registry)
            try await browser.signIn("alice", secret)

            try await browser.get("/-/packages/alice/app/web/-/versions/\(v1.digest)")
            let deleted = try await browser.post("/-/packages/alice/app/web/-/versions/\(v1.digest)/delete")
            #expect(deleted.header("Location") == "/-/packages/alice/app/web?notice=version-deleted")
            let package = try await browser.get("/-/packages/alice/app/web?notice=version-deleted")
            #expect(package.text.contains("The version was deleted."))
            #expect(!package.text.contains(v1.digest.description))

            let list = try await browser.get("/-/deleted")
            #expect(list.text.contains(PageFormat.shortDigest(v1.digest.description)))
            #expect(list.text.contains("Restore alice/app/web"))
            let restored = try await browser.post("/-/deleted/restore", [("package", "alice/app/web"), ("digest", v1.digest.description)])
            #expect(restored.status == .seeOther)
            #expect(try await registry.request(.get, "/v2/alice/app/web/manifests/v1", headers: alice).status == .ok)

            // The whole package: the name must be typed to confirm.
            try await browser.get("/-/packages/alice/app/web/-/settings")
            let unconfirmed = try await browser.post("/-/packages/alice/app/web/-/delete", [("confirm", "alice/app")])
            #expect(unconfirmed.status == .badRequest)
            #expect(try await registry.request(.get, "/v2/alice/app/web/manifests/v2", headers: alice).status == .ok)
            let gone = try await browser.post("/-/packages/alice/app/web/-/delete", [("confirm", "alice/app/web")])
            #expect(gone.header("Location") == "/-/deleted?owner=alice&notice=package-deleted")
            #expect(try await registry.request(.get, "/v2/alice/app/web/manifests/v2", headers: alice).status == .notFound)
            let packages = try await browser.get("/-/deleted?owner=alice")
            #expect(packages.text.contains("whole package"))

            // A new package under the name: the deleted one says why it cannot come back.
            try await registry.pushImage("alice/app/web", tag: "v9", layers: [Array("nine".utf8)], headers: alice)
            let reused = try await browser.get("/-/deleted?owner=alice")
            #expect(reused.text.contains("A new package has taken its name since"))
            let refused = try await browser.post("/-/deleted/restore", [("package", "alice/app/web")])
            #expect(refused.status == .conflict)
        }
    }

    @Test func userControlledStringsAreShownAsText() async throws {
        try await Self.withAuth { registry in
            let secret = try await AuthTests.user(registry, "alice")
            let alice = AuthTests.basic("alice", secret)
            let digest = try await Self.pushLabelled(
                registry, "alice/app/web", tag: "v1",
                labels: [
                    "org.opencontainers.image.description": "<script>alert('label')</script>",
                    "org.opencontainers.image.source": "javascript:alert(1)", "x<y": "\"quoted\" & <b>",
                ],
                annotations: ["note": "<img src=x onerror=alert(1)>"], headers: alice)
            let browser = PageClient(registry)
            try await browser.signIn("alice", secret)
            for path in ["/-/packages/alice/app/web", "/-/packages/alice/app/web/-/versions/\(digest)"] {
                let page = try await browser.get(path)
                #expect(page.status == .ok)
                #expect(!page.text.contains("<script>alert"), "\(path)")
                #expect(!page.text.contains("<img src=x"), "\(path)")
                #expect(!page.text.contains(#"href="javascript:"#), "\(path)")
            }
            let package = try await browser.get("/-/packages/alice/app/web")
            #expect(package.text.contains("&lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt;"))
            // A source that is not an http(s) URL is shown, never linked.
            #expect(package.text.contains("<dd>javascript:alert(1)</dd>"))
            let version = try await browser.get("/-/packages/alice/app/web/-/versions/\(digest)")
            #expect(version.text.contains("&lt;img src=x onerror=alert(1)&gt;"))
            #expect(version.text.contains("x&lt;y"))
            #expect(version.text.contains("&quot;quoted&quot; &amp; &lt;b&gt;"))
            #expect(version.text.contains("/usr/bin/app"))
            #expect(version.text.contains("linux/arm64"))
            // No inline script anywhere: the policy forbids it, and the pages need none.
            #expect(!version.text.contains("<script>"))
            let policy = try #require(version.header("Content-Security-Policy"))
            #expect(policy.contains("script-src 'self'") && policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"))
            #expect(version.header("X-Frame-Options") == "DENY")
            #expect(version.header("Cache-Control") == "no-store")
        }
    }

    @Test func aTokenIsShownOnceAndWorksAndIsRevokedOnThePage() async throws {
        try await Self.withAuth { registry in
            let secret = try await AuthTests.user(registry, "alice")
            let browser = PageClient(registry)
            try await browser.signIn("alice", secret)
            try await browser.get("/-/tokens")
            let created = try await browser.post(
                "/-/tokens", [("description", "ci <pusher>"), ("scope", "read:packages"), ("scope", "write:packages"), ("expiry", "30")])
            #expect(created.status == .ok)
            let token = try #require(PageClient.firstMatch(#"<pre id="new-token">(stw_[^<]+)</pre>"#, in: created.text))
            #expect(created.header("Cache-Control") == "no-store")
            let blob: [UInt8] = [7, 7, 7]
            #expect(try await registry.pushBlob(blob, to: "alice/ci/img", headers: AuthTests.basic("alice", token)) == Digest.of(blob))

            let list = try await browser.get("/-/tokens")
            #expect(!list.text.contains(token), "a token is shown on the page that creates it, never again")
            #expect(list.text.contains("ci &lt;pusher&gt;"))
            let record = try #require(try await registry.service.metadata.accounts.tokens(of: "alice").first { $0.description == "ci <pusher>" })
            #expect(record.scopes == [.readPackages, .writePackages])
            #expect(record.expires.map { abs($0 - (UnixTime.now() + 30 * 86_400)) < 60 } == true)

            #expect(try await browser.post("/-/tokens/\(record.id)/revoke").status == .seeOther)
            #expect(try await registry.request(.get, "/v2/", headers: AuthTests.basic("alice", token)).status == .unauthorized)
            // Another user's token is unknown to this page.
            _ = try await AuthTests.user(registry, "bob")
            let bobID = try #require(try await registry.service.metadata.accounts.tokens(of: "bob").first?.id)
            #expect(try await browser.post("/-/tokens/\(bobID)/revoke").status == .notFound)
            #expect(try await registry.service.metadata.accounts.token(id: bobID)?.isRevoked == false)
        }
    }

    @Test(arguments: DatabaseBackend.databases) func pullsAreCountedPerVersionAndPackage(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let v1 = try await registry.pushImage("acme/app/web", tag: "v1", layers: [Array("one".utf8)])
            let v2 = try await registry.pushImage("acme/app/web", tag: "v2", layers: [Array("two".utf8)])
            for _ in 0..<3 { try await registry.request(.get, "/v2/acme/app/web/manifests/v1") }
            try await registry.request(.get, "/v2/acme/app/web/manifests/\(v2.digest)")
            try await registry.request(.head, "/v2/acme/app/web/manifests/v2")
            try await registry.service.pulls.flush()
            try await registry.request(.get, "/v2/acme/app/web/manifests/v1")
            try await registry.service.pulls.flush()

            let versions = try await PackageAPITests.versions(registry, "acme/app/web")
            let pulls = Dictionary(uniqueKeysWithValues: versions.map { ($0["digest"] as? String ?? "", $0["pulls"] as? Int ?? -1) })
            #expect(pulls[v1.digest.description] == 4)
            #expect(pulls[v2.digest.description] == 1, "a HEAD is not a pull")
            let listing = try await registry.request(.get, "/api/v1/packages")
            let packages = try JSONSerialization.jsonObject(with: Data(listing.bytes)) as? [[String: Any]] ?? []
            #expect(packages.first?["pulls"] as? Int == 5)
            #expect(packages.first?["published"] as? Int != nil)
            let page = try await PageClient(registry).get("/-/packages/acme/app/web")
            #expect(page.text.contains("<dt>Total pulls</dt><dd>5</dd>"))
            #expect(page.text.contains("4 pulls"))
        }
    }

    @Test(arguments: DatabaseBackend.databases) func anIndexSizeCountsItsPlatformsAndSharedBlobsOnce(_ backend: DatabaseBackend) async throws {
        try await RegistryHarness.run(backend: backend) { registry in
            let (index, children) = try await PackageAPITests.pushIndex(registry, "acme/multi", tag: "v1")
            func length(_ path: String) async throws -> Int {
                Int(try await registry.request(.head, path, headers: [.accept: "*/*"]).header("Content-Length") ?? "") ?? -1_000_000
            }
            var expected = try await length("/v2/acme/multi/manifests/\(index)")
            var blobs = Set<String>()
            for child in children {
                expected += try await length("/v2/acme/multi/manifests/\(child)")
                let manifest = try await registry.request(.get, "/v2/acme/multi/manifests/\(child)", headers: [.accept: "*/*"])
                let object = try JSONSerialization.jsonObject(with: Data(manifest.bytes)) as? [String: Any] ?? [:]
                let descriptors = [object["config"] as? [String: Any] ?? [:]] + (object["layers"] as? [[String: Any]] ?? [])
                for descriptor in descriptors where blobs.insert(descriptor["digest"] as? String ?? "").inserted {
                    expected += descriptor["size"] as? Int ?? 0
                }
            }
            #expect(blobs.count == 3, "the two platform images share their config")
            let versions = try await PackageAPITests.versions(registry, "acme/multi")
            #expect(versions.count == 1)
            #expect(versions.first?["size"] as? Int == expected)
            let child = try #require(try await registry.service.metadata.catalog.version(children[0], of: RepositoryName(parsing: "acme/multi")))
            #expect(child.platforms == ["linux/amd64"])
        }
    }

    @Test func pullCountingCanBeTurnedOff() async throws {
        try await RegistryHarness.run(configure: { $0.registry.countPulls = false }) { registry in
            try await registry.pushImage("acme/app", tag: "v1", layers: [Array("one".utf8)])
            try await registry.request(.get, "/v2/acme/app/manifests/v1")
            try await registry.service.pulls.flush()
            #expect(try await PackageAPITests.versions(registry, "acme/app").first?["pulls"] as? Int == 0)
        }
    }

    @Test func versionsArePagedAndFilteredByTags() async throws {
        try await RegistryHarness.run { registry in
            for index in 0..<33 {
                try await registry.pushImage("acme/many", tag: "t\(index)", layers: [Array("layer \(index)".utf8)])
                if index % 3 != 0 { try await registry.request(.delete, "/v2/acme/many/manifests/t\(index)") }
            }
            let browser = PageClient(registry)
            let first = try await browser.get("/-/packages/acme/many")
            #expect(first.text.contains("All (33)") && first.text.contains("Tagged (11)") && first.text.contains("Untagged (22)"))
            #expect(first.text.contains("Page 1 of 2"))
            #expect(first.text.components(separatedBy: #"<a class="title mono""#).count - 1 == 30)
            let second = try await browser.get("/-/packages/acme/many?page=2")
            #expect(second.text.components(separatedBy: #"<a class="title mono""#).count - 1 == 3)
            let tagged = try await browser.get("/-/packages/acme/many?filter=tagged")
            #expect(tagged.text.components(separatedBy: #"<a class="title mono""#).count - 1 == 11)
            #expect(!tagged.text.contains("Page 1 of"))
            let beyond = try await browser.get("/-/packages/acme/many?page=99")
            #expect(beyond.text.contains("Page 2 of 2"))
        }
    }

    @Test func withAuthenticationOffThePagesNeedNoSignIn() async throws {
        try await RegistryHarness.run { registry in
            let image = try await registry.pushImage("acme/app", tag: "v1", layers: [Array("a".utf8)])
            let browser = PageClient(registry)
            let page = try await browser.get("/-/packages/acme/app")
            #expect(page.status == .ok)
            #expect(!page.text.contains(#"id="sign-in""#))
            #expect(page.text.contains(#"id="package-settings""#))
            try await browser.get("/-/packages/acme/app/-/versions/\(image.digest)")
            #expect(try await browser.post("/-/packages/acme/app/-/versions/\(image.digest)/delete").status == .seeOther)
            #expect(try await browser.get("/-/deleted").text.contains("acme/app"))
            #expect(try await browser.get("/-/admin").status == .ok)
            #expect(try await browser.get("/-/tokens").status == .notFound)
            // Still, a form from elsewhere is refused.
            #expect(try await browser.post("/-/deleted/restore", [("package", "acme/app"), ("digest", image.digest.description)], csrf: "x").status == .forbidden)
        }
    }

    @Test func organisationMembersAreManagedByItsAdministrators() async throws {
        try await Self.withAuth { registry in
            let accounts = registry.service.metadata.accounts
            let owner = try await AuthTests.user(registry, "olivia")
            let reader = try await AuthTests.user(registry, "rita")
            _ = try await AuthTests.user(registry, "sam")
            _ = try await accounts.createOrganisation("acme")
            try await accounts.setMember(organisation: "acme", user: "olivia", role: .admin)
            try await accounts.setMember(organisation: "acme", user: "rita", role: .read)

            let member = PageClient(registry)
            try await member.signIn("rita", reader)
            let seen = try await member.get("/-/orgs/acme")
            #expect(seen.status == .ok)
            #expect(seen.text.contains("olivia") && !seen.text.contains("Add a member"))
            #expect(try await member.post("/-/orgs/acme/members", [("user", "sam"), ("role", "read")]).status == .forbidden)
            #expect(try await member.get("/-/orgs").text.contains("acme"))

            let admin = PageClient(registry)
            try await admin.signIn("olivia", owner)
            #expect(try await admin.get("/-/orgs/acme").text.contains("Add a member"))
            #expect(try await admin.post("/-/orgs/acme/members", [("user", "sam"), ("role", "write")]).status == .seeOther)
            #expect(try await accounts.role(of: "sam", in: "acme") == .write)
            #expect(try await admin.post("/-/orgs/acme/members", [("user", "rita"), ("role", "none")]).status == .seeOther)
            #expect(try await accounts.role(of: "rita", in: "acme") == nil)
            #expect(try await admin.post("/-/orgs/acme/members", [("user", "nobody"), ("role", "read")]).status == .notFound)
            #expect(try await admin.post("/-/orgs/acme/members", [("user", "sam"), ("role", "owner")]).status == .badRequest)
            #expect(try await member.get("/-/orgs/acme").status == .notFound, "no longer a member")
        }
    }

    @Test(arguments: DatabaseBackend.allCases) func theAdministratorsPageShowsStorageAndRunsCollection(_ backend: DatabaseBackend) async throws {
        try await Self.withAuth(backend) { registry in
            let accounts = registry.service.metadata.accounts
            _ = try await accounts.createUser("root", admin: true)
            let full = try await accounts.createToken(user: "root", scopes: Set(Scope.allCases), expires: nil, description: "").token
            let readOnly = try await accounts.createToken(user: "root", scopes: [.readPackages], expires: nil, description: "").token
            try await registry.pushImage("root/app", tag: "v1", layers: [Array("abc".utf8)], headers: AuthTests.basic("root", full))

            let viewer = PageClient(registry)
            try await viewer.signIn("root", readOnly)
            let page = try await viewer.get("/-/admin")
            #expect(page.status == .ok)
            #expect(page.text.contains("3 blobs stored"))
            #expect(page.text.contains(backend == .cluster ? "in the object store&#39;s bucket" : "on disk in the data directory"))
            #expect(page.text.contains(#"<a href="/-/packages?owner=root">root</a>"#))
            let preview = try await viewer.post("/-/admin/gc", [("mode", "preview")])
            #expect(preview.status == .ok)
            #expect(preview.text.contains("Preview: a run now would leave"))
            #expect(try await viewer.post("/-/admin/gc", [("mode", "run")]).status == .forbidden)
            #expect(try await registry.service.metadata.collection.recentRuns(limit: 5).isEmpty, "a dry run is not recorded")

            let admin = PageClient(registry)
            try await admin.signIn("root", full)
            try await admin.get("/-/admin")
            let ran = try await admin.post("/-/admin/gc", [("mode", "run")])
            #expect(ran.header("Location") == "/-/admin?notice=collected")
            let after = try await admin.get("/-/admin?notice=collected")
            #expect(after.text.contains("Garbage collection ran."))
            #expect(after.text.contains("0 deletions purged"))
            #expect(try await registry.service.metadata.collection.recentRuns(limit: 5).count == 1)
        }
    }

    @Test func cookiesAreSecureAndPullCommandsNameThePublicHostBehindHTTPS() async throws {
        try await Self.withAuth(configure: { $0.publicURL = "https://registry.example.com" }) { registry in
            let secret = try await AuthTests.user(registry, "alice")
            try await registry.pushImage("alice/app", tag: "latest", layers: [Array("a".utf8)], headers: AuthTests.basic("alice", secret))
            let browser = PageClient(registry)
            let first = try await browser.get("/-/signin")
            #expect(first.headers[values: .setCookie].allSatisfy { $0.contains("Secure") })
            let signedIn = try await browser.post("/-/signin", [("user", "alice"), ("token", secret)])
            #expect(signedIn.headers[values: .setCookie].first { $0.hasPrefix("stowage_session=") }?.contains("Secure") == true)
            let page = try await browser.get("/-/packages/alice/app")
            #expect(page.text.contains("docker pull registry.example.com/alice/app:latest"))
        }
    }

    @Test func badPagePathsAreClientErrors() async throws {
        try await RegistryHarness.run { registry in
            let browser = PageClient(registry)
            for (path, status) in [
                ("/-/nothing", HTTPResponse.Status.notFound), ("/-/packages/acme/../etc", .badRequest),
                ("/-/packages/acme/app/-/versions/sha256:xyz", .badRequest), ("/-/packages/acme/app/-/nothing", .notFound),
                ("/-/static/../../etc/passwd", .notFound), ("/-/packages/UPPER/case", .badRequest), ("/-/static/nothing.css", .notFound),
            ] {
                let response = try await browser.get(path)
                #expect(response.status == status, "\(path): \(response.status)")
                #expect(response.header("Content-Type") == "text/html; charset=utf-8", "\(path)")
            }
            let css = try await browser.get("/-/static/style.css")
            #expect(css.status == .ok)
            #expect(css.header("Content-Type") == "text/css; charset=utf-8")
            #expect(css.text.contains("prefers-color-scheme: dark"))
            #expect(try await registry.request(.put, "/-/packages").status == .methodNotAllowed)
        }
    }
}
