/// The two databases the metadata runs on; the store tests, the HTTP integration tests and the
/// end-to-end tests run on each.
public enum DatabaseBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    public var description: String { rawValue }

    /// `stowage serve` (or admin command) arguments that put the metadata on this backend: none
    /// for SQLite (the data directory's file), a fresh database on the test server for PostgreSQL.
    public func serveArguments() async throws -> [String] {
        self == .postgres ? ["--metadata-url", try await PostgresTestCluster.createDatabase()] : []
    }
}
