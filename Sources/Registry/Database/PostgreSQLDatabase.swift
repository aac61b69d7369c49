import Logging
import PostgresNIO

/// The metadata's database on PostgreSQL, shared by every node of a cluster, over a pool of
/// connections (`PostgreSQLConnections`).
///
/// - Lookups run each statement on its own (autocommit): one round trip for the lookups that
///   answer requests.
/// - Scans run in one REPEATABLE READ, READ ONLY transaction: one snapshot.
/// - Writes are group-committed per node (`PostgreSQLWriter`) and run SERIALIZABLE, so that the
///   stores' transactions, written for SQLite's single writer, keep their meaning when several
///   nodes write at once; a batch the database refuses for a conflict runs again.
public final class PostgreSQLDatabase: Database {
    public var dialect: DatabaseDialect { .postgres }
    private let connections: PostgreSQLConnections
    /// This node's writes, group-committed on one connection at a time.
    private let writes: WriteQueue
    /// How often a batch of writes refused for a serialization conflict runs again before the
    /// refusal reaches the callers (as "busy", a 503 with Retry-After).
    private static let retries = 50

    /// Connects, and migrates the schema to this build's unless `readingOnly`: several nodes
    /// starting at once against an empty database migrate it once, one after the other under an
    /// advisory lock. `readingOnly` (stowage-fsck) refuses any schema but this build's and opens
    /// every connection with `default_transaction_read_only`, so nothing it runs can write.
    public init(_ settings: PostgreSQLSettings, readingOnly: Bool = false, logger: Logger) async throws {
        let connections = PostgreSQLConnections(settings, readingOnly: readingOnly, logger: logger)
        self.connections = connections
        let writer = PostgreSQLWriter(retries: Self.retries) { body in try await connections.withSession(body) }
        writes = WriteQueue(executor: nil) { await writer.commit($0) }
        if readingOnly {
            try SchemaMigrations.requireLatest(version: try await schemaVersion())
        } else {
            try await migrate()
        }
    }

    // MARK: Database

    public func read<T: Sendable>(_ body: @escaping @Sendable (any DatabaseSession) async throws -> T) async throws -> T {
        try await connections.withSession { session in try await body(session) }
    }

    public func scan<T: Sendable>(_ body: @escaping @Sendable (any DatabaseSession) async throws -> T) async throws -> T {
        try await connections.withSession { session in
            try await session.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { try await body(session) }
        }
    }

    public func write<T: Sendable>(durable: Bool, _ body: @escaping @Sendable (any DatabaseSession) async throws -> T)
        async throws -> T
    {
        try await writes.write(durable: durable, body)
    }

    public func enqueue(_ body: @escaping @Sendable (any DatabaseSession) async throws -> Void) {
        writes.enqueue(body)
    }

    public func yieldToWriters() async {
        await writes.yieldToWriters()
    }

    /// Autovacuum gives deleted rows' space back for reuse; nothing to do after a collection.
    public func shrink() async throws {}

    /// A session-level advisory lock on a connection held for the whole of `body`: the server
    /// releases it when the connection closes, so a node that dies mid-run frees it.
    public func exclusively<T: Sendable>(_ key: Int64, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await connections.withSession { session in
            guard try await session.firstRow("SELECT pg_try_advisory_lock(?)", [.integer(key)], { $0.integer(at: 0) }) == 1 else {
                return nil
            }
            let result: Result<T, any Error>
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            // If this fails the connection is broken, and closing it releases the lock.
            _ = try? await session.run("SELECT pg_advisory_unlock(?)", [.integer(key)])
            return try result.get()
        }
    }

    // MARK: Connections and schema

    /// The key of the advisory lock that migrations hold: "stowage" in ASCII.
    private static let migrationLock: Int64 = 0x73746f77616765

    private func migrate() async throws {
        try await connections.withSession { session in
            try await session.transaction("BEGIN") {
                try await session.run("SELECT pg_advisory_xact_lock(?)", [.integer(Self.migrationLock)])
                try await session.script("CREATE TABLE IF NOT EXISTS stowage_schema (version BIGINT NOT NULL)")
                let version = Int(try await session.firstRow("SELECT version FROM stowage_schema") { $0.integer(at: 0) } ?? 0)
                guard version <= SchemaMigrations.latestVersion else {
                    throw MetadataError.schemaTooNew(version: version, supported: SchemaMigrations.latestVersion)
                }
                guard version < SchemaMigrations.latestVersion else { return }
                for migration in SchemaMigrations.postgres[version...] {
                    try await session.script(migration)
                }
                try await session.run("DELETE FROM stowage_schema")
                try await session.run(
                    "INSERT INTO stowage_schema (version) VALUES (?)", [.integer(Int64(SchemaMigrations.latestVersion))])
            }
        }
    }

    private func schemaVersion() async throws -> Int {
        try await connections.withSession { session in
            let exists = try await session.firstRow("SELECT to_regclass('stowage_schema') IS NOT NULL") { $0.integer(at: 0) }
            guard exists == 1 else { return 0 }
            return Int(try await session.firstRow("SELECT version FROM stowage_schema") { $0.integer(at: 0) } ?? 0)
        }
    }
}
