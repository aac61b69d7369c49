import ArgumentParser
import Registry

/// `stowage auth rotate-key`: a new key signs registry tokens, on every node within a minute; the
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
            abstract: "Add a new token signing key and keep the previous one for verification; running servers sign with it within a minute."
        )

        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            try await administer("auth rotate-key") {
                let keys = try await SigningKeyStore(database: try await data.openDatabase()).rotate()
                print("New signing key \(keys.current.id); \(keys.keys.count - 1) previous key(s) kept for verification.")
            }
        }
    }
}
