import ArgumentParser
import Foundation
import Logging
import Registry

/// `stowage metadata copy`: moves a registry's metadata to another database, row for row.
struct MetadataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metadata",
        abstract: "Move the metadata between databases.",
        subcommands: [Copy.self]
    )

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy every package, tag, user, token, deletion and signing key into an empty database.",
            discussion: """
                Stop the registry first: what it writes during the copy would be missing from the target. Then start it \
                with --metadata-url set to the target. The source is left as it was.

                  stowage metadata copy --from sqlite:stowage-data/metadata.db --to postgres://stowage:PASSWORD@db:5432/stowage
                """
        )

        @Option(help: "The database to copy: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE.")
        var from: String

        @Option(help: "The empty database to fill: postgres://USER:PASSWORD@HOST:PORT/DATABASE or sqlite:PATH.")
        var to: String

        func run() async throws {
            try await administer("metadata copy") {
                var logger = Logger(label: "stowage")
                logger.logLevel = .warning
                let source = try MetadataLocation(url: from, dataDirectory: "")
                let target = try MetadataLocation(url: to, dataDirectory: "")
                guard source != target else { throw ValidationError("--from and --to name the same database") }
                if case .sqlite(let path) = source, !FileManager.default.fileExists(atPath: path) {
                    throw ValidationError("\(path) does not exist")
                }
                let counts = try await MetadataCopier(
                    from: try await source.open(logger: logger), to: try await target.open(logger: logger)
                ).copy()
                let copied = MetadataCopier.tables.map(\.name).compactMap { name in counts[name].map { "\($0) \(name)" } }
                print("Copied \(source.description) to \(target.description): \(copied.joined(separator: ", ")).")
            }
        }
    }
}
