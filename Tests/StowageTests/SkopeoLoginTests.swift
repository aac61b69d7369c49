import Foundation
import Testing

/// The GitHub Packages way, with skopeo as the client: an administrator creates a user and a
/// personal access token with the admin commands (beside the running server), the user logs in,
/// pushes and pulls; a token is needed for the private package; logout forgets it; another user
/// cannot push into the namespace.
@Suite("skopeo login with personal access tokens", .timeLimit(.minutes(1)))
struct SkopeoLoginTests {
    static func stowage(_ arguments: [String]) async throws -> String {
        let run = try await ExternalTool.check(ServerProcess.executable.path, arguments, seconds: 30)
        return run.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func token(for user: String, scopes: String, data: String) async throws -> String {
        _ = try await stowage(["user", "add", user, "--data-dir", data])
        return try await stowage(["token", "create", "--user", user, "--scopes", scopes, "--data-dir", data])
    }

    @Test func loginPushPullLogoutAndRefusals() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-login-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let layout = try await OCITestLayout.build(in: root)
        let authfile = root.appendingPathComponent("auth.json").path

        let status = try await ServerProcess.with(arguments: ["--auth", "token"]) { server in
            // A fresh install in token mode announces its first administrator once.
            #expect(server.lines.contains { $0.contains("created the first administrator 'admin'") })
            let alice = try await Self.token(for: "alice", scopes: "read:packages,write:packages", data: server.dataDirectory)
            #expect(alice.hasPrefix("stw_") && !alice.contains("\n"))
            let bob = try await Self.token(for: "bob", scopes: "read:packages,write:packages", data: server.dataDirectory)
            let image = "docker://\(server.host)/alice/app/img:v1"

            try await SkopeoEndToEndTests.skopeo(["login", "--tls-verify=false", "--authfile", authfile, "-u", "alice", "-p", alice, server.host])
            try await SkopeoEndToEndTests.skopeo([
                "copy", "--preserve-digests", "--dest-tls-verify=false", "--authfile", authfile, "oci:\(layout.directory.path):v1", image,
            ])
            let raw = try await SkopeoEndToEndTests.skopeo(["inspect", "--raw", "--tls-verify=false", "--authfile", authfile, image])
            #expect(raw.output == layout.image.manifest.bytes)

            // --creds without a login works too.
            try await SkopeoEndToEndTests.skopeo(["inspect", "--raw", "--tls-verify=false", "--creds", "alice:\(alice)", image])

            // The package is private: anonymous pulls and bob's pulls are refused.
            let anonymous = try await ExternalTool.run("skopeo", ["--insecure-policy", "inspect", "--raw", "--tls-verify=false", "--no-creds", image])
            #expect(anonymous.status != 0)
            let asBob = try await ExternalTool.run("skopeo", ["--insecure-policy", "inspect", "--raw", "--tls-verify=false", "--creds", "bob:\(bob)", image])
            #expect(asBob.status != 0)
            // Bob cannot push into alice's namespace.
            let intrusion = try await ExternalTool.run("skopeo", [
                "--insecure-policy", "copy", "--dest-tls-verify=false", "--dest-creds", "bob:\(bob)", "oci:\(layout.directory.path):v1",
                "docker://\(server.host)/alice/app/img:hijack",
            ])
            #expect(intrusion.status != 0)

            // Made public, it is pullable without credentials.
            _ = try await Self.stowage(["package", "visibility", "alice/app/img", "public", "--data-dir", server.dataDirectory])
            try await SkopeoEndToEndTests.skopeo(["inspect", "--raw", "--tls-verify=false", "--no-creds", image])

            try await SkopeoEndToEndTests.skopeo(["logout", "--authfile", authfile, server.host])
            let afterLogout = try String(contentsOfFile: authfile, encoding: .utf8)
            #expect(!afterLogout.contains(server.host))

            // A revoked token stops working at once.
            let listing = try await Self.stowage(["token", "list", "--user", "alice", "--data-dir", server.dataDirectory])
            let id = try #require(listing.split(separator: "\n").compactMap { line in
                line.split(separator: " ").first.map(String.init).flatMap { alice.contains($0) ? $0 : nil }
            }.first)
            _ = try await Self.stowage(["token", "revoke", id, "--data-dir", server.dataDirectory])
            let revoked = try await ExternalTool.run("skopeo", [
                "--insecure-policy", "copy", "--dest-tls-verify=false", "--dest-creds", "alice:\(alice)", "oci:\(layout.directory.path):v1",
                "docker://\(server.host)/alice/app/img:v2",
            ])
            #expect(revoked.status != 0)
            #expect(!server.standardError.contains(alice), "a token never appears in the server's log")
        }
        #expect(status == 0)
    }
}
