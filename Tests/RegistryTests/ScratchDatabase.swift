import Foundation
import Logging
import PostgresNIO
@testable import Registry
import TestSupport

/// The two databases the metadata runs on; the store tests run on each.
enum DatabaseBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    var description: String { rawValue }
}

/// A fresh metadata database for one test: a SQLite file in a temporary directory, removed
/// with it when the test ends, or a new database on the test PostgreSQL server
/// (`PostgresTestCluster`), which goes with the server.
final class ScratchDatabase: Sendable {
    let backend: DatabaseBackend
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-metadata-\(UUID().uuidString)").path
    /// The PostgreSQL database's name: unique, and a plain identifier.
    let postgresName = "stowage_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    var path: String { directory + "/metadata.db" }

    /// A SQLite database.
    init() {
        backend = .sqlite
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    init(_ backend: DatabaseBackend) async throws {
        self.backend = backend
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if backend == .postgres { try await Self.createPostgresDatabase(postgresName) }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Opens (and migrates) the database: a second open sees what the first wrote.
    func open() async throws -> SQLMetadataStore {
        SQLMetadataStore(database: try await openDatabase())
    }

    func openDatabase(readingOnly: Bool = false) async throws -> any Database {
        switch backend {
        case .sqlite: readingOnly ? try SQLiteDatabase(readingOnly: path) : try SQLiteDatabase(path: path)
        case .postgres: try await PostgreSQLDatabase(try settings, readingOnly: readingOnly, logger: Self.logger)
        }
    }

    /// The SQLite database, opened without waiting: for the tests of SQLite itself.
    func openSQLite() throws -> SQLMetadataStore {
        try SQLMetadataStore(path: path)
    }

    var url: String {
        get throws { try PostgresTestCluster.url(database: postgresName) }
    }

    var settings: PostgreSQLSettings {
        get throws { try PostgreSQLSettings(url: try url) }
    }

    func userVersion() throws -> Int {
        Int(try SQLiteConnection(path: path, readOnly: true).integer("PRAGMA user_version") ?? 0)
    }

    static let logger = Logger(label: "stowage.tests")

    /// Runs SQL text on the server's maintenance database, or on `database`.
    static func administer(_ sql: String, database: String = "postgres") async throws {
        let settings = try PostgreSQLSettings(url: try PostgresTestCluster.url(database: database))
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: settings.host, port: settings.port, username: settings.user, password: settings.password,
                database: settings.database, tls: .disable),
            id: 1, logger: logger)
        defer { Task { try? await connection.close() } }
        _ = try await connection.simpleQuery(sql).get()
    }

    private static func createPostgresDatabase(_ name: String) async throws {
        try await administer("CREATE DATABASE \(name) TEMPLATE template0")
    }
}

extension SQLMetadataStore {
    /// The SQLite database under the store, for the tests of SQLite's writer.
    var sqlite: SQLiteDatabase { database as! SQLiteDatabase }
}
