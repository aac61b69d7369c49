import Foundation
import Testing

/// The admin commands (`stowage user|org|token|package`), run from the built binary on a data
/// directory of their own, and beside a running `stowage serve`.
@Suite("stowage user, org, token, package")
struct AdminCommandTests {
    private let scratch = AdminScratch()

    private func stowage(_ arguments: String..., environment: [String: String] = [:]) throws -> DigestCommandTests.Run {
        try DigestCommandTests.run(arguments + ["--data-dir", scratch.dataDirectory], environment: environment)
    }

    @Test func usersAreAddedListedDisabledAndEnabled() throws {
        #expect(try stowage("user", "add", "alice").status == 0)
        let root = try stowage("user", "add", "root", "--admin")
        #expect(root.status == 0 && root.output == "Created site admin root\n")

        let duplicate = try stowage("user", "add", "alice")
        #expect(duplicate.status == 1 && duplicate.error == "stowage user add: a user named 'alice' already exists\n")
        let invalid = try stowage("user", "add", "Alice")
        #expect(invalid.status == 1 && invalid.error.contains("invalid name 'Alice': it must be lowercase"))

        #expect(try stowage("user", "disable", "alice").status == 0)
        var list = try stowage("user", "list").output.split(separator: "\n")
        #expect(list.count == 3 && list[0].hasPrefix("NAME"))
        #expect(list[1].hasPrefix("alice") && list[1].contains("user") && list[1].contains("disabled"))
        #expect(list[2].hasPrefix("root") && list[2].contains("admin") && list[2].contains("active"))
        #expect(try stowage("user", "enable", "alice").status == 0)
        list = try stowage("user", "list").output.split(separator: "\n")
        #expect(list[1].contains("active"))

        let unknown = try stowage("user", "disable", "nobody")
        #expect(unknown.status == 1 && unknown.error == "stowage user disable: no user named 'nobody'\n")
    }

    @Test func tokenCreatePrintsTheTokenAloneThenListAndRevoke() throws {
        #expect(try stowage("user", "add", "alice").status == 0)
        let created = try stowage(
            "token", "create", "--user", "alice", "--scopes", "read:packages,write:packages", "--expires", "30d",
            "--description", "ci runner"
        )
        #expect(created.status == 0)
        let lines = created.output.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty)
        let token = String(lines[0])
        let match = try #require(token.wholeMatch(of: /stw_([0-9a-f]{12})_([A-Za-z0-9_-]{43})/))
        let id = String(match.1), secret = String(match.2)
        #expect(created.error.contains(id) && created.error.contains("read:packages,write:packages"))
        #expect(!created.error.contains(secret))

        var list = try stowage("token", "list", "--user", "alice")
        #expect(list.status == 0 && !list.output.contains(secret))
        var row = try #require(list.output.split(separator: "\n").first { $0.hasPrefix(id) })
        #expect(row.contains("read:packages,write:packages") && row.contains("active") && row.hasSuffix("ci runner"))
        #expect(!row.contains("never  never"))  // it expires, and has not been used

        let revoked = try stowage("token", "revoke", id)
        #expect(revoked.status == 0 && revoked.output == "Revoked token \(id)\n")
        list = try stowage("token", "list", "--user", "alice")
        row = try #require(list.output.split(separator: "\n").first { $0.hasPrefix(id) })
        #expect(row.contains("revoked"))
        // Revoking again is harmless; the token itself works as the argument too.
        let again = try stowage("token", "revoke", token)
        #expect(again.status == 0 && again.output == "Token \(id) was already revoked\n")
        let unknown = try stowage("token", "revoke", "000000000000")
        #expect(unknown.status == 1 && unknown.error == "stowage token revoke: no token with id '000000000000'\n")
    }

    @Test func tokenCreateRefusesBadArguments() throws {
        #expect(try stowage("user", "add", "alice").status == 0)
        let scope = try stowage("token", "create", "--user", "alice", "--scopes", "read:packages,admin:org")
        #expect(scope.status == 1 && scope.output.isEmpty && scope.error.contains("unknown scope 'admin:org'"))
        let expiry = try stowage("token", "create", "--user", "alice", "--scopes", "read:packages", "--expires", "5x")
        #expect(expiry.status == 1 && expiry.output.isEmpty && expiry.error.contains("expiry '5x'"))
        let user = try stowage("token", "create", "--user", "bob", "--scopes", "read:packages")
        #expect(user.status == 1 && user.output.isEmpty && user.error == "stowage token create: no user named 'bob'\n")
        let never = try stowage("token", "create", "--user", "alice", "--scopes", "delete:packages", "--expires", "never")
        #expect(never.status == 0 && never.error.contains("expiring never"))
    }

    @Test func organisationsAndMembers() throws {
        #expect(try stowage("user", "add", "bob").status == 0)
        #expect(try stowage("user", "add", "carol").status == 0)
        #expect(try stowage("org", "add", "acme").status == 0)
        let taken = try stowage("org", "add", "bob")
        #expect(taken.status == 1 && taken.error == "stowage org add: a user named 'bob' already exists\n")

        #expect(try stowage("org", "member", "add", "acme", "bob", "--role", "write").status == 0)
        #expect(try stowage("org", "member", "add", "acme", "carol").status == 0)
        var members = try stowage("org", "members", "acme")
        #expect(members.status == 0)
        #expect(members.output.split(separator: "\n").dropFirst().map { $0.split(separator: " ").joined(separator: " ") } == ["bob write", "carol read"])

        #expect(try stowage("org", "member", "remove", "acme", "bob").status == 0)
        members = try stowage("org", "members", "acme")
        #expect(members.output.split(separator: "\n").count == 2)
        let notMember = try stowage("org", "member", "remove", "acme", "bob")
        #expect(notMember.status == 1 && notMember.error.contains("'bob' is not a member of 'acme'"))
        #expect(try stowage("org", "member", "add", "acme", "nobody").status == 1)
        #expect(try stowage("org", "member", "add", "acme", "bob", "--role", "owner").status != 0)
        #expect(try stowage("org", "list").output.contains("acme"))
    }

    @Test func packageVisibility() throws {
        #expect(try stowage("package", "visibility", "alice/app").output == "private\n")
        #expect(try stowage("package", "visibility", "alice/app", "public").status == 0)
        #expect(try stowage("package", "visibility", "alice/app").output == "public\n")
        #expect(try stowage("package", "visibility", "alice/app", "private").status == 0)
        #expect(try stowage("package", "visibility", "alice/app").output == "private\n")
        let invalid = try stowage("package", "visibility", "Alice/App", "public")
        #expect(invalid.status == 1 && invalid.error.contains("must be lowercase"))
        #expect(try stowage("package", "visibility", "alice/app", "secret").status != 0)
    }

    @Test func theDataDirectoryComesFromTheEnvironmentToo() throws {
        let added = try DigestCommandTests.run(["user", "add", "erin"], environment: ["STOWAGE_DATA_DIR": scratch.dataDirectory])
        #expect(added.status == 0)
        #expect(try stowage("user", "list").output.contains("erin"))
    }

    @Test func theCommandsWorkWhileTheServerRuns() async throws {
        let status = try await ServerProcess.with { server in
            let data = server.directory.appendingPathComponent("data").path
            func stowage(_ arguments: String...) throws -> DigestCommandTests.Run {
                try DigestCommandTests.run(arguments + ["--data-dir", data])
            }
            let added = try stowage("user", "add", "alice")
            #expect(added.status == 0, "\(added.error)")
            let created = try stowage("token", "create", "--user", "alice", "--scopes", "read:packages")
            #expect(created.status == 0 && created.output.hasPrefix("stw_"), "\(created.error)")
            #expect(try stowage("org", "add", "acme").status == 0)
            #expect(try stowage("org", "member", "add", "acme", "alice", "--role", "admin").status == 0)
            #expect(try stowage("package", "visibility", "alice/app", "public").status == 0)
            #expect(try stowage("user", "list").output.contains("alice"))
            // The server still answers (whatever it says to an anonymous client).
            let response = try await server.request("GET", "/v2/")
            #expect(response.status > 0)
        }
        #expect(status == 0)
    }
}

/// A data directory path in a fresh temporary directory, removed when the test ends.
private final class AdminScratch: Sendable {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-admin-\(UUID().uuidString)")
    var dataDirectory: String { directory.appendingPathComponent("data").path }

    deinit { try? FileManager.default.removeItem(at: directory) }
}
