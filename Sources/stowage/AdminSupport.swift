import ArgumentParser
import Foundation
import Registry

/// `--data-dir` of the admin commands. They open only `DATA/metadata.db` (never the blob store,
/// whose lock a running server holds); SQLite's WAL lets them write while the server runs.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (default $STOWAGE_DATA_DIR, else ./stowage-data).")
    var dataDirectory: String?

    var resolved: String {
        dataDirectory ?? ProcessInfo.processInfo.environment["STOWAGE_DATA_DIR"] ?? RegistryServer.Configuration.defaultDataDirectory
    }

    /// The metadata database, created (with the directory) on a fresh install, migrated as needed.
    func openAccounts() throws -> SQLMetadataStore {
        let directory = resolved
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try SQLMetadataStore(path: RegistryServer.Configuration.metadataPath(in: directory))
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
