import BlobStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Registry
import Testing

/// Refusals as clients need them to stop at once and say why: `insufficient_scope` for a
/// signed-in bearer token that cannot do more, 403 for Basic credentials, a message naming what
/// is missing; and the catalog of a signed-in user.
@Suite("Refusals clients understand")
struct RefusalTests {
    static func access(_ registry: RegistryHarness, _ user: String, _ secret: String, scope: String) async throws -> HTTPFields {
        AuthTests.bearer(try #require(try await AuthTests.token(registry, user, secret, scope: scope)["token"] as? String))
    }

    @Test func aReadOnlyTokenPushingIsToldItLacksTheScope() async throws {
        try await AuthTests.withAuth { registry in
            let readOnly = try await AuthTests.user(registry, "alice", scopes: [.readPackages])
            let bearer = try await Self.access(registry, "alice", readOnly, scope: "repository:alice/app:pull,push")
            let push = try await registry.request(.post, "/v2/alice/app/blobs/uploads/", headers: bearer)
            #expect(push.status == .unauthorized)
            let challenge = try #require(push.header("WWW-Authenticate"))
            #expect(challenge.contains(#"error="insufficient_scope""#))
            #expect(challenge.contains(#"scope="repository:alice/app:push""#))
            #expect(push.text.contains("lacks the write:packages scope"))

            let basic = try await registry.request(.post, "/v2/alice/app/blobs/uploads/", headers: AuthTests.basic("alice", readOnly))
            #expect(basic.status == .forbidden)
            #expect(basic.errorCode == "DENIED")
            #expect(basic.text.contains("lacks the write:packages scope"))
        }
    }

    @Test func pushingIntoAnotherNamespaceOrNoNamespaceSaysSo() async throws {
        try await AuthTests.withAuth { registry in
            let alice = try await AuthTests.user(registry, "alice")
            _ = try await AuthTests.user(registry, "bob")
            let intrusion = try await registry.request(
                .post, "/v2/bob/app/blobs/uploads/", headers: try await Self.access(registry, "alice", alice, scope: "repository:bob/app:push"))
            #expect(intrusion.status == .unauthorized)
            #expect(intrusion.header("WWW-Authenticate")?.contains(#"error="insufficient_scope""#) == true)
            #expect(intrusion.text.contains("'alice' may not push bob/app"))

            // `docker push web:1` in token mode: there is no owner named web.
            let bare = try await registry.request(
                .post, "/v2/web/blobs/uploads/", headers: try await Self.access(registry, "alice", alice, scope: "repository:web:push,pull"))
            #expect(bare.status == .unauthorized)
            #expect(bare.text.contains("repository names start with their owner, OWNER/IMAGE (such as alice/web)"))
            let nobody = try await registry.request(.head, "/v2/nobody/app/manifests/v1", headers: AuthTests.basic("alice", alice))
            #expect(nobody.status == .forbidden)
        }
    }

    @Test func anonymousCallersAreStillChallengedToLogIn() async throws {
        try await AuthTests.withAuth { registry in
            let response = try await registry.request(.post, "/v2/alice/app/blobs/uploads/")
            #expect(response.status == .unauthorized)
            #expect(response.header("WWW-Authenticate")?.contains("insufficient_scope") == false)
        }
    }

    @Test func theCatalogListsWhatTheSignedInUserMayPull() async throws {
        try await AuthTests.withAuth { registry in
            let alice = try await AuthTests.user(registry, "alice")
            let bob = try await AuthTests.user(registry, "bob")
            try await registry.pushImage("alice/app", tag: "v1", layers: [[1]], headers: AuthTests.basic("alice", alice))
            try await registry.pushImage("bob/tool", tag: "v1", layers: [[2]], headers: AuthTests.basic("bob", bob))
            let catalog = try await Self.access(registry, "alice", alice, scope: "registry:catalog:*")
            let listed = try await registry.request(.get, "/v2/_catalog", headers: catalog)
            #expect(listed.status == .ok)
            #expect(listed.text.contains("alice/app"))
            #expect(!listed.text.contains("bob/tool"))
            // A token for one repository is not a catalog token.
            let narrow = try await Self.access(registry, "alice", alice, scope: "repository:alice/app:pull")
            #expect(try await registry.request(.get, "/v2/_catalog", headers: narrow).text.contains("alice/app") == false)
        }
    }

    @Test func errorDetailsKeepTheirSlashes() async throws {
        try await RegistryHarness.run { registry in
            let response = try await registry.request(.get, "/v2/alice/app/nothere/tags/list")
            #expect(response.status == .notFound)
            #expect(response.text.contains(#""alice/app/nothere""#))
            #expect(!response.text.contains(#"\/"#))
        }
    }
}
