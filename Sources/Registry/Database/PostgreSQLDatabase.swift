import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization
// ConnectionPoolError, the pool's own failures; postgres-nio exports the module as a product.
import _ConnectionPoolModule

/// The metadata's database on PostgreSQL, shared by every node of a cluster: a pool of
/// connections (`PostgresClient`, run by a task of its own until the database is released).
///
/// - Lookups run each statement on its own (autocommit): one round trip for the lookups that
///   answer requests.
/// - Scans run in one REPEATABLE READ, READ ONLY transaction: one snapshot.
/// - Writes run SERIALIZABLE, so that the stores' transactions, written for SQLite's single
///   writer, keep their meaning when several nodes write at once; a write the database refuses
///   for a conflict with a concurrent one runs again, up to `retries` times. PostgreSQL flushes
///   the commits that wait at the same moment with one fsync, its form of group commit.
public final class PostgreSQLDatabase: Database {
    public var dialect: DatabaseDialect { .postgres }
    private let client: PostgresClient
    private let settings: PostgreSQLSettings
    private let running: Task<Void, Never>
    private let logger: Logger
    private let placeholders = PostgreSQLPlaceholders()
    /// How often a write refused for a serialization conflict is tried again before the refusal
    /// reaches the caller (as "busy", a 503 with Retry-After).
    private let retries = 50

    /// Connects, and migrates the schema to this build's unless `readingOnly`: several nodes
    /// starting at once against an empty database migrate it once, one after the other under an
    /// advisory lock. `readingOnly` (stowage-fsck) refuses any schema but this build's and opens
    /// every connection with `default_transaction_read_only`, so nothing it runs can write.
    public init(_ settings: PostgreSQLSettings, readingOnly: Bool = false, logger: Logger) async throws {
        var configuration = settings.clientConfiguration
        if readingOnly {
            configuration.options.additionalStartupParameters.append(("default_transaction_read_only", "on"))
        }
        var background = logger
        background.logLevel = .warning
        client = PostgresClient(configuration: configuration, backgroundLogger: background)
        self.settings = settings
        let client = self.client
        running = Task { await client.run() }
        self.logger = logger
        do {
            if readingOnly {
                try SchemaMigrations.requireLatest(version: try await schemaVersion())
            } else {
                try await migrate()
            }
        } catch {
            running.cancel()
            throw error
        }
    }

    deinit { running.cancel() }

    // MARK: Database

    public func read<T: Sendable>(_ body: @escaping @Sendable (any DatabaseSession) async throws -> T) async throws -> T {
        try await withSession { session in try await body(session) }
    }

    public func scan<T: Sendable>(_ body: @escaping @Sendable (any DatabaseSession) async throws -> T) async throws -> T {
        try await withSession { session in
            try await session.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { try await body(session) }
        }
    }

    public func write<T: Sendable>(durable: Bool, _ body: @escaping @Sendable (any DatabaseSession) async throws -> T)
        async throws -> T
    {
        var attempt = 1
        while true {
            do {
                return try await withSession { session in
                    try await session.transaction("BEGIN ISOLATION LEVEL SERIALIZABLE") {
                        // Off for this transaction only: its commit returns before the WAL is flushed.
                        if !durable { try await session.run("SET LOCAL synchronous_commit TO OFF") }
                        return try await body(session)
                    }
                }
            } catch let error as MetadataError where error.isConflict && attempt < retries {
                attempt += 1
                // A short random pause, so that the transactions that collided do not meet again.
                try await Task.sleep(for: .microseconds(Int.random(in: 100...(1000 * min(attempt, 20)))))
            }
        }
    }

    public func enqueue(_ body: @escaping @Sendable (any DatabaseSession) async throws -> Void) {
        Task { _ = try? await write(durable: false, body) }
    }

    /// Writes do not queue behind one another here: each has a connection of its own.
    public func yieldToWriters() async {}

    /// Autovacuum gives deleted rows' space back for reuse; nothing to do after a collection.
    public func shrink() async throws {}

    /// A session-level advisory lock on a connection held for the whole of `body`: the server
    /// releases it when the connection closes, so a node that dies mid-run frees it.
    public func exclusively<T: Sendable>(_ key: Int64, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await withSession { session in
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

    /// How long a call waits for a connection. The pool itself would keep a call waiting, without
    /// a word, until its circuit breaker trips a minute after the database went away. So after
    /// `probeAfter` a call that has no connection yet checks with a connection of its own whether
    /// the database answers: if not, it fails as unavailable (503 UNAVAILABLE), and so do calls
    /// after it within `downTimeout` until one succeeds again; if it does, the pool is only
    /// saturated, and the call waits up to `busyTimeout` before it fails as busy (503
    /// TOOMANYREQUESTS).
    static let probeAfter: Duration = .seconds(3)
    static let downTimeout: Duration = .seconds(2)
    static let busyTimeout: Duration = .seconds(30)
    private let health = DatabaseHealth()

    private func withSession<T: Sendable>(_ body: @escaping @Sendable (PostgreSQLSession) async throws -> T) async throws -> T {
        do {
            let value = try await leaseAndRun(body)
            health.succeeded()
            return value
        } catch let error as MetadataError {
            if case .unavailable = error { health.failed() }
            throw error
        }
    }

    private func leaseAndRun<T: Sendable>(_ body: @escaping @Sendable (PostgreSQLSession) async throws -> T) async throws -> T {
        let client = client, placeholders = placeholders, logger = logger
        let leased = LeaseFlag()
        let down = health.isDown
        let settings = settings
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        leased.value.store(true, ordering: .relaxed)
                        return try await body(PostgreSQLSession(connection: connection, placeholders: placeholders, logger: logger))
                    }
                }
                group.addTask {
                    try await Task.sleep(for: down ? Self.downTimeout : Self.probeAfter)
                    if leased.value.load(ordering: .relaxed) { return nil }
                    let answers = down ? false : await Self.answers(settings, logger: logger)
                    if !answers {
                        throw MetadataError.unavailable("the database at \(settings.host):\(settings.port) does not answer")
                    }
                    try await Task.sleep(for: Self.busyTimeout - Self.probeAfter)
                    if leased.value.load(ordering: .relaxed) { return nil }
                    throw MetadataError.busy("every database connection stayed busy for \(Self.busyTimeout)")
                }
                while let value = try await group.next() {
                    if let value {
                        group.cancelAll()
                        return value
                    }
                }
                throw CancellationError()
            }
        } catch let error as PSQLError {
            throw MetadataError(error)
        } catch let error as ConnectionPoolError {
            // The pool gave up creating connections (its circuit breaker) or is shutting down.
            throw MetadataError.unavailable("\(error)")
        }
    }

    /// Whether the database takes a connection of this node's own, outside the pool.
    private static func answers(_ settings: PostgreSQLSettings, logger: Logger) async -> Bool {
        let tls: PostgresConnection.Configuration.TLS
        switch settings.tls {
        case .disable: tls = .disable
        case .prefer, .require:
            guard let context = try? NIOSSLContext(configuration: .makeClientConfiguration()) else { return false }
            tls = settings.tls == .prefer ? .prefer(context) : .require(context)
        }
        guard let connection = try? await PostgresConnection.connect(
            configuration: .init(
                host: settings.host, port: settings.port, username: settings.user, password: settings.password,
                database: settings.database, tls: tls),
            id: 0, logger: logger)
        else { return false }
        try? await connection.close()
        return true
    }

    /// The key of the advisory lock that migrations hold: "stowage" in ASCII.
    private static let migrationLock: Int64 = 0x73746f77616765

    private func migrate() async throws {
        try await withSession { session in
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
        try await withSession { session in
            let exists = try await session.firstRow("SELECT to_regclass('stowage_schema') IS NOT NULL") { $0.integer(at: 0) }
            guard exists == 1 else { return 0 }
            return Int(try await session.firstRow("SELECT version FROM stowage_schema") { $0.integer(at: 0) } ?? 0)
        }
    }
}

/// Whether a call has its connection yet, shared by the call and its timeout.
private final class LeaseFlag: Sendable {
    let value = Atomic(false)
}

/// Whether the last call that ended failed for want of the database, with no success since.
private final class DatabaseHealth: Sendable {
    private let down = Atomic(false)

    var isDown: Bool { down.load(ordering: .relaxed) }
    func failed() { down.store(true, ordering: .relaxed) }
    func succeeded() { if isDown { down.store(false, ordering: .relaxed) } }
}
