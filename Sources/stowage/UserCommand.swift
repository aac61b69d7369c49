import ArgumentParser
import Registry

/// `stowage user add|disable|enable|list`.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage users (works while the server runs).",
        subcommands: [Add.self, Disable.self, Enable.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user.")

        @OptionGroup var data: DataDirectoryOption
        @Argument(help: "User name: lowercase letters, digits, '.', '_' and '-'; shared with organisations.")
        var name: String
        @Flag(help: "Make the user a site administrator, with every right on every repository.")
        var admin = false

        func run() async throws {
            try await administer("user add") {
                let user = try await data.openMetadata().accounts.createUser(name, admin: admin)
                print("Created \(user.isAdmin ? "site admin" : "user") \(user.name)")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user: their tokens stop working at once.")

        @OptionGroup var data: DataDirectoryOption
        @Argument var name: String

        func run() async throws {
            try await administer("user disable") {
                try await data.openMetadata().accounts.setUserDisabled(name, disabled: true)
                print("Disabled user \(name)")
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user again, with their tokens.")

        @OptionGroup var data: DataDirectoryOption
        @Argument var name: String

        func run() async throws {
            try await administer("user enable") {
                try await data.openMetadata().accounts.setUserDisabled(name, disabled: false)
                print("Enabled user \(name)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")

        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            try await administer("user list") {
                let users = try await data.openMetadata().accounts.users()
                let rows = users.map { user in
                    [user.name, user.isAdmin ? "admin" : "user", user.isDisabled ? "disabled" : "active", AdminOutput.date(user.created)]
                }
                print(AdminOutput.table([["NAME", "ROLE", "STATUS", "CREATED"]] + rows))
            }
        }
    }
}
