import ArgumentParser
import Foundation
import Logging
import Registry

/// `--data-dir` and `--metadata-url` of the admin commands. They open only the metadata
/// database (never the blob store, whose lock a running server holds): `DATA/metadata.db`,
/// whose WAL lets them write while the server runs, or the PostgreSQL database of a cluster.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (default $STOWAGE_DATA_DIR, else ./stowage-data).")
    var dataDirectory: String?

    @Option(
        name: .customLong("metadata-url"),
        help: "PostgreSQL database of the metadata, postgres://USER:PASSWORD@HOST:PORT/DATABASE (default $STOWAGE_METADATA_URL, else DATA/metadata.db).")
    var metadataURL: String?

    var resolved: String {
        dataDirectory ?? ProcessInfo.processInfo.environment["STOWAGE_DATA_DIR"] ?? RegistryServer.Configuration.defaultDataDirectory
    }

    var location: MetadataLocation {
        get throws {
            try MetadataLocation(
                url: metadataURL ?? ProcessInfo.processInfo.environment["STOWAGE_METADATA_URL"], dataDirectory: resolved)
        }
    }

    /// The metadata database, created (with the directory) on a fresh install, migrated as needed.
    func openDatabase() async throws -> any Database {
        let location = try location
        if case .sqlite = location {
            try FileManager.default.createDirectory(atPath: resolved, withIntermediateDirectories: true)
        }
        var logger = Logger(label: "stowage")
        logger.logLevel = .warning
        return try await location.open(logger: logger)
    }

    func openMetadata() async throws -> Metadata {
        Metadata(database: try await openDatabase())
    }
}

/// Runs an admin command's body; a failure becomes one line on standard error, prefixed with the
/// command's name, and exit status 1.
func administer(_ command: String, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandleStream.standardError.write("stowage \(command): \(error)\n")
        throw ExitCode.failure
    }
}

/// Output helpers shared by the admin commands.
enum AdminOutput {
    /// Columns padded to their widest cell, two spaces apart; the last column is not padded.
    static func table(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max(), columns > 0 else { return "" }
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// Rows as a table under `header`, or as JSON.
    static func print<Row: Encodable>(_ rows: [Row], json: Bool, header: [String], _ cells: (Row) -> [String]) throws {
        if json {
            try printJSON(rows)
        } else {
            Swift.print(table([header] + rows.map(cells)))
        }
    }

    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// `2025-01-31T12:00:00Z`.
    static func date(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    static func date(_ seconds: Int64?, none: String) -> String {
        seconds.map { date($0) } ?? none
    }
}

extension OrganisationRole: ExpressibleByArgument {}
