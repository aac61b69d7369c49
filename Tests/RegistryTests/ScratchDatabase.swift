import Foundation
import Logging
@testable import Registry
import TestSupport

/// A fresh metadata database for one test: a SQLite file in a temporary directory, removed
/// with it when the test ends, or a new database on the test PostgreSQL server
/// (`PostgresTestCluster`), which goes with the server.
final class ScratchDatabase: Sendable {
    let backend: DatabaseBackend
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-metadata-\(UUID().uuidString)").path
    /// The PostgreSQL database's URL; nil on SQLite.
    let postgresURL: String?
    var path: String { directory + "/metadata.db" }

    /// A SQLite database.
    init() {
        backend = .sqlite
        postgresURL = nil
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    init(_ backend: DatabaseBackend) async throws {
        self.backend = backend
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        postgresURL = backend == .sqlite ? nil : try await PostgresTestCluster.createDatabase()
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Opens (and migrates) the database: a second open sees what the first wrote.
    func open() async throws -> Metadata {
        Metadata(database: try await openDatabase())
    }

    func openDatabase(readingOnly: Bool = false) async throws -> any Database {
        switch backend {
        case .sqlite: readingOnly ? try SQLiteDatabase(readingOnly: path) : try SQLiteDatabase(path: path)
        case .postgres, .cluster: try await PostgreSQLDatabase(try settings, readingOnly: readingOnly, logger: Self.logger)
        }
    }

    /// The SQLite database, opened without waiting: for the tests of SQLite itself.
    func openSQLite() throws -> Metadata {
        Metadata(database: try SQLiteDatabase(path: path))
    }

    var url: String {
        get throws {
            guard let postgresURL else { throw MetadataError.badLocation("a SQLite scratch database has no URL") }
            return postgresURL
        }
    }

    var settings: PostgreSQLSettings {
        get throws { try PostgreSQLSettings(url: try url) }
    }

    func userVersion() throws -> Int {
        Int(try SQLiteConnection(path: path, readOnly: true).integer("PRAGMA user_version") ?? 0)
    }

    static let logger = Logger(label: "stowage.tests")
}

extension Metadata {
    /// The SQLite database under the store, for the tests of SQLite's writer.
    var sqlite: SQLiteDatabase { database as! SQLiteDatabase }
}
