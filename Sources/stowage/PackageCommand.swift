import ArgumentParser
import Registry

/// `stowage package visibility NAME [public|private]`.
struct PackageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package",
        abstract: "Manage packages (works while the server runs).",
        subcommands: [Visibility.self]
    )

    enum Setting: String, ExpressibleByArgument, CaseIterable {
        case `public`, `private`
    }

    struct Visibility: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set whether a package is public (anonymous pull) or private (the default)."
        )

        @OptionGroup var data: DataDirectoryOption
        @Argument(help: "Repository name, e.g. alice/app.")
        var name: String
        @Argument(help: "public or private; without it, prints the current visibility.")
        var visibility: Setting?

        func run() async throws {
            try await administer("package visibility") {
                let repository = try RepositoryName(parsing: name)
                let accounts = try data.openAccounts()
                if let visibility {
                    try await accounts.setVisibility(repository: repository, public: visibility == .public)
                    print("\(repository) is \(visibility.rawValue)")
                } else {
                    print(try await accounts.isPublic(repository) ? "public" : "private")
                }
            }
        }
    }
}
