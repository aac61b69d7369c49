import ArgumentParser
import Registry

/// `stowage auth rotate-key`: a new key signs registry tokens from the next server start; the
/// previous key still verifies, so tokens issued before the rotation stay valid until they expire.
struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth",
        abstract: "Manage token authentication.",
        subcommands: [RotateKey.self]
    )

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Add a new token signing key (used from the next server start); keep the previous one for verification."
        )

        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            try await administer("auth rotate-key") {
                let keys = try SigningKeys.rotate(directory: RegistryServer.Configuration.authDirectory(in: data.resolved))
                print("New signing key \(keys.current.id); \(keys.keys.count - 1) previous key(s) kept for verification.")
            }
        }
    }
}
