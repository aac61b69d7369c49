import ArgumentParser
import BlobStore

@main
struct Stowage: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "stowage",
        abstract: "A container image registry on its own content-addressable blob store.",
        version: version,
        subcommands: [
            ServeCommand.self, DigestCommand.self, UserCommand.self, OrgCommand.self, TokenCommand.self, PackageCommand.self,
            AuthCommand.self, CollectCommand.self, MetadataCommand.self,
        ]
    )
}
