import ArgumentParser
import Registry

/// `stowage org add|list|members` and `stowage org member add|remove`.
struct OrgCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org",
        abstract: "Manage organisations and their members (works while the server runs).",
        subcommands: [Add.self, List.self, Member.self, Members.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an organisation.")

        @OptionGroup var data: DataDirectoryOption
        @Argument(help: "Organisation name: lowercase letters, digits, '.', '_' and '-'; shared with users.")
        var name: String

        func run() async throws {
            try await administer("org add") {
                let organisation = try await data.openMetadata().accounts.createOrganisation(name)
                print("Created organisation \(organisation.name)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List organisations.")

        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            try await administer("org list") {
                let organisations = try await data.openMetadata().accounts.organisations()
                let rows = organisations.map { [$0.name, AdminOutput.date($0.created)] }
                print(AdminOutput.table([["NAME", "CREATED"]] + rows))
            }
        }
    }

    struct Member: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add, change or remove a member.", subcommands: [Add.self, Remove.self]
        )

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add a user to an organisation, or change a member's role.",
                discussion: "read may pull private packages, write may also push, admin may also delete."
            )

            @OptionGroup var data: DataDirectoryOption
            @Argument var organisation: String
            @Argument var user: String
            @Option(help: "read, write or admin.")
            var role: OrganisationRole = .read

            func run() async throws {
                try await administer("org member add") {
                    try await data.openMetadata().accounts.setMember(organisation: organisation, user: user, role: role)
                    print("\(user) is a member of \(organisation) with role \(role.rawValue)")
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove a user from an organisation.")

            @OptionGroup var data: DataDirectoryOption
            @Argument var organisation: String
            @Argument var user: String

            func run() async throws {
                try await administer("org member remove") {
                    try await data.openMetadata().accounts.removeMember(organisation: organisation, user: user)
                    print("Removed \(user) from \(organisation)")
                }
            }
        }
    }

    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an organisation's members.")

        @OptionGroup var data: DataDirectoryOption
        @Argument var organisation: String

        func run() async throws {
            try await administer("org members") {
                let members = try await data.openMetadata().accounts.members(of: organisation)
                print(AdminOutput.table([["USER", "ROLE"]] + members.map { [$0.user, $0.role.rawValue] }))
            }
        }
    }
}
