import ArgumentParser
import Foundation
import Registry

/// `stowage token create|list|revoke`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Manage personal access tokens (works while the server runs).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; prints it alone on standard output, once.",
            discussion: "Scopes: \(Scope.allCases.map(\.rawValue).joined(separator: ", ")). "
                + "Writing or deleting implies reading. Details go to standard error."
        )

        @OptionGroup var data: DataDirectoryOption
        @Option(help: "The user the token belongs to.")
        var user: String
        @Option(help: "Comma-separated scopes, e.g. read:packages,write:packages.")
        var scopes: String
        @Option(help: "Lifetime: a number of hours, days or weeks (12h, 30d, 2w), or never.")
        var expires: String = "never"
        @Option(help: "A note to recognise the token by in listings.")
        var description: String = ""

        func run() async throws {
            try await administer("token create") {
                let scopes = try Scope.parseList(self.scopes)
                let lifetime = try TokenLifetime.parse(expires)
                let expiry = lifetime.map { UnixTime.now() + $0 }
                let created = try await data.openMetadata().accounts.createToken(
                    user: user, scopes: scopes, expires: expiry, description: description
                )
                let record = created.record
                print(created.token)
                FileHandleStream.standardError.write(
                    "Created token \(record.id) for \(record.user) with scopes \(Scope.format(record.scopes)), "
                        + "expiring \(AdminOutput.date(record.expires, none: "never")). "
                        + "It is shown only this once; only its hash is stored.\n"
                )
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a user's tokens (never their secrets).")

        @OptionGroup var data: DataDirectoryOption
        @Option(help: "The user whose tokens to list.")
        var user: String

        func run() async throws {
            try await administer("token list") {
                let tokens = try await data.openMetadata().accounts.tokens(of: user)
                let now = UnixTime.now()
                let rows = tokens.map { token in
                    [
                        token.id, Scope.format(token.scopes), AdminOutput.date(token.created),
                        AdminOutput.date(token.expires, none: "never"), AdminOutput.date(token.lastUsed, none: "never"),
                        token.isRevoked ? "revoked" : token.isExpired(at: now) ? "expired" : "active", token.description,
                    ]
                }
                print(AdminOutput.table([["ID", "SCOPES", "CREATED", "EXPIRES", "LAST USED", "STATUS", "DESCRIPTION"]] + rows))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token; it stops working at once.")

        @OptionGroup var data: DataDirectoryOption
        @Argument(help: "The token's id (as `token list` shows it), or the token itself.")
        var id: String

        func run() async throws {
            try await administer("token revoke") {
                let id = PersonalAccessToken(parsing: self.id)?.id ?? self.id
                let wasActive = try await data.openMetadata().accounts.revokeToken(id: id)
                print(wasActive ? "Revoked token \(id)" : "Token \(id) was already revoked")
            }
        }
    }
}

/// `--expires`: `never`, or a count of hours, days or weeks.
enum TokenLifetime {
    struct Invalid: Error, CustomStringConvertible {
        let text: String
        var description: String { "expiry '\(text)' is not a number of hours, days or weeks (12h, 30d, 2w) or never" }
    }

    /// Seconds; nil for never.
    static func parse(_ text: String) throws -> Int64? {
        if text == "never" { return nil }
        guard let unit = text.last, let count = Int64(text.dropLast()), count > 0, count <= 100 * 365 * 24 else {
            throw Invalid(text: text)
        }
        switch unit {
        case "h": return count * 3600
        case "d": return count * 86400
        case "w": return count * 7 * 86400
        default: throw Invalid(text: text)
        }
    }
}
