import ArgumentParser
import BlobStore
import Foundation
import Logging
import Registry

/// `stowage gc`: one garbage collection run on a data directory no server holds. A running
/// server collects on its own schedule, and on demand through `POST /api/v1/gc`.
struct CollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Collect garbage now (or report what would be collected with --dry-run).",
        discussion: """
            Needs the data directory to itself; while a server runs, ask it instead:
              curl -X POST -u ADMIN:TOKEN 'http://HOST/api/v1/gc?dry_run=true'
            """
    )

    @Option(name: .customLong("config"), help: "YAML configuration file (for the gc.* settings).")
    var configFile: String?
    @OptionGroup var data: DataDirectoryOption
    @Flag(name: .customLong("dry-run"), help: "Change nothing; report what a run would purge, condemn and delete.")
    var dryRun = false
    @Flag(help: "JSON output.")
    var json = false

    func run() async throws {
        try await administer("gc") {
            var configuration = try ServeSetting.configuration(file: configFile)
            configuration.dataDirectory = data.resolved
            if let url = data.metadataURL ?? ProcessInfo.processInfo.environment["STOWAGE_METADATA_URL"] {
                try ServeSetting.named("metadata.url").apply(&configuration, url)
            }
            var logger = Logger(label: "stowage")
            logger.logLevel = .warning
            let service: RegistryService
            do {
                service = try await RegistryServer(configuration: configuration, logger: logger).openService()
            } catch BlobStoreError.locked(let path, let holder) {
                throw ValidationError("\(path) is held by \(holder): a server runs on it; use POST /api/v1/gc on that server")
            }
            let report: CollectionReport
            do {
                report = try await service.collector.run(dryRun: dryRun)
            } catch {
                try await service.store.close()
                throw error
            }
            try await service.store.close()
            if json {
                try AdminOutput.printJSON(report)
                return
            }
            print(AdminOutput.table([
                ["", "BLOBS", "BYTES"],
                ["in the store", String(report.blobs), ""],
                ["marked", String(report.markedBlobs), String(report.markedBytes)],
                [report.dryRun ? "to condemn" : "condemned", String(report.condemnedBlobs), String(report.condemnedBytes)],
                [report.dryRun ? "to delete" : "deleted", String(report.deletedBlobs), String(report.deletedBytes)],
                ["compacted", String(report.compactedBlobs), String(report.compactedBytes)],
            ]))
            for purged in report.purged {
                print("\(report.dryRun ? "would purge" : "purged") \(purged.package)\(purged.digest.map { "@" + $0 } ?? "")")
            }
            for retained in report.retained {
                print("\(report.dryRun ? "retention would delete" : "retention deleted") \(retained.package)@\(retained.digest) (\(retained.rule))")
            }
            for package in report.reclaimable {
                print("reclaimable from \(package.package): \(package.blobs) blobs, \(package.bytes) bytes")
            }
        }
    }
}
