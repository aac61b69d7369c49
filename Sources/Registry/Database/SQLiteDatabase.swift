import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The database of a single-node registry: one SQLite file (`DATA/metadata.db`) in WAL mode with
/// `synchronous=FULL`, so a write that returned is on disk.
///
/// Writes go through one connection with group commit (`SQLiteWriter`); lookups through a second,
/// read-only connection (`SQLiteReader`), scans through a third on the background thread. Each
/// runs SQLite's blocking calls on a thread of its own, off the cooperative pool.
public final class SQLiteDatabase: Database {
    public var dialect: DatabaseDialect { .sqlite }
    let path: String
    let writer: SQLiteWriter
    /// Writes wait here for the writer's next transaction.
    let writes: WriteQueue
    let reader: SQLiteReader
    let scanner: SQLiteReader

    /// Opens the database, creating and migrating it as needed. Migrations run before the reader
    /// opens, so that it never sees an older schema.
    public init(path: String) throws(MetadataError) {
        let writeConnection = try SQLiteConnection(path: path, readOnly: false)
        // The file holds the token signing keys: only the registry's user may read it. SQLite
        // gives its -wal and -shm the file's mode.
        guard chmod(path, 0o600) == 0 else { throw .io("cannot make \(path) private: errno \(errno)") }
        try writeConnection.execute(
            // The busy timeout first: switching to WAL waits on a connection that another process
            // (the server, an admin command, stowage-fsck) is opening or closing. auto_vacuum
            // takes effect only on a new database, before its first table: garbage collection
            // then gives the pages its deletions free back to the file system.
            "PRAGMA busy_timeout = 5000; PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON"
        )
        try SchemaMigrations.migrate(writeConnection)
        self.path = path
        (writer, writes) = Self.group(writeConnection)
        reader = SQLiteReader(connection: try Self.readOnlyConnection(path))
        scanner = SQLiteReader(connection: try Self.readOnlyConnection(path), on: .shared)
    }

    /// Opens an existing database to read it and nothing else, as stowage-fsck's checks do: no
    /// journal mode is set, no migration runs, and a database at a schema other than this
    /// build's is refused (`schemaTooOld`, `schemaTooNew`). Every connection is read-only, the
    /// writer's too, so a write fails rather than happen.
    ///
    /// Beside a running server (its `-wal` is there) it reads through the WAL as any reader does.
    /// Without a `-wal` (no server has it open; its last close checkpointed) it opens the file
    /// immutable: SQLite would otherwise create a `-wal` and `-shm` beside it, and leave them,
    /// even for a read-only connection, and in a read-only directory it could not open at all.
    public init(readingOnly path: String) throws(MetadataError) {
        let uri = SQLiteConnection.fileURI(path, immutable: access(path + "-wal", F_OK) != 0)
        func open() throws(MetadataError) -> SQLiteConnection {
            let connection = try SQLiteConnection(uri: uri)
            try connection.execute("PRAGMA busy_timeout = 5000")
            return connection
        }
        let first = try open()
        try SchemaMigrations.requireLatest(version: Int(try first.integer("PRAGMA user_version") ?? 0))
        self.path = path
        (writer, writes) = Self.group(first)
        reader = SQLiteReader(connection: try open())
        scanner = SQLiteReader(connection: try open(), on: .shared)
    }

    /// The writer and its queue, draining on the writer's thread.
    private static func group(_ connection: SQLiteConnection) -> (SQLiteWriter, WriteQueue) {
        let writer = SQLiteWriter(connection: connection)
        return (writer, WriteQueue(executor: writer.executor) { await writer.commit($0) })
    }

    private static func readOnlyConnection(_ path: String) throws(MetadataError) -> SQLiteConnection {
        let connection = try SQLiteConnection(path: path, readOnly: true)
        try connection.execute("PRAGMA busy_timeout = 5000")
        return connection
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any DatabaseSession) async throws -> T) async throws -> T {
        try await reader.read(body)
    }

    public func scan<T: Sendable>(_ body: @escaping @Sendable (any DatabaseSession) async throws -> T) async throws -> T {
        try await scanner.read(body)
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

    /// Once a quarter of the database is free pages, cuts them off (`incremental_vacuum`; a
    /// database created before auto_vacuum was set keeps them for reuse); then checkpoints the
    /// write-ahead log and truncates it. SQLite reuses both but shrinks neither by itself, so a
    /// run that deleted many rows would otherwise leave them at their largest. The threshold
    /// keeps the vacuum, which holds the write lock while it moves pages, for runs that freed
    /// much: small ones leave pages that the next writes reuse anyway. A connection of its own,
    /// because the writer's statements all run inside transactions.
    public func shrink() async throws {
        let path = self.path
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let connection = try SQLiteConnection(path: path, readOnly: false)
                    try connection.execute("PRAGMA busy_timeout = 5000")
                    let free = try connection.integer("PRAGMA freelist_count") ?? 0
                    if free >= 256, free * 4 >= (try connection.integer("PRAGMA page_count") ?? 0) {
                        try connection.execute("PRAGMA incremental_vacuum")
                    }
                    try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                })
            }
        }
    }

    /// The data directory's lock already keeps every other server out.
    public func exclusively<T: Sendable>(_ key: Int64, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await body()
    }

    /// Transactions the writer has committed; with concurrent writers it grows slower than the writes.
    var commitCount: Int { writer.commitCount }
}
