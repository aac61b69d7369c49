/// The database under the metadata stores: SQLite in the data directory for one node, or
/// PostgreSQL shared by several. The stores write their SQL once, in the dialect both accept
/// (`?` and `?N` parameters, `ON CONFLICT`, `RETURNING`; docs/FORMAT.md, "Metadata database"),
/// and run it through a session of whichever implementation they were given.
///
/// Every write runs in a transaction that behaves as if the writes had run one at a time: SQLite
/// has one writer; PostgreSQL runs them SERIALIZABLE and runs a body again when the database
/// refused it for a conflict with a concurrent one. A body may therefore run more than once,
/// and must do nothing but its statements. Methods throw `MetadataError`, and whatever a body
/// throws.
public protocol Database: Sendable {
    /// Which SQL the database speaks where the stores' shared dialect does not reach (the
    /// schema, identity columns).
    var dialect: DatabaseDialect { get }

    /// Lookups that answer requests: a few indexed rows. Each statement sees what was committed
    /// when it started; a body that needs several statements to agree uses `scan`.
    func read<T: Sendable>(_ body: @escaping @Sendable (any DatabaseSession) async throws -> T) async throws -> T

    /// Scans over whole tables (garbage collection, retention, listings, fsck): one snapshot
    /// for the whole body, and on SQLite a connection and a low-priority thread of their own,
    /// so that a request's lookup never waits behind one.
    func scan<T: Sendable>(_ body: @escaping @Sendable (any DatabaseSession) async throws -> T) async throws -> T

    /// Runs `body` in a transaction and returns its result once that transaction has committed
    /// and, if `durable`, is on disk. A write that is not durable is visible at once and on disk
    /// with the next durable commit; a power failure before that may lose it.
    func write<T: Sendable>(durable: Bool, _ body: @escaping @Sendable (any DatabaseSession) async throws -> T)
        async throws -> T

    /// Queues a write without waiting for it; a failure is dropped. For bookkeeping that may be
    /// lost, such as a token's last use.
    func enqueue(_ body: @escaping @Sendable (any DatabaseSession) async throws -> Void)

    /// Returns once the request writes waiting now have committed, and then once the queue has
    /// emptied or a few milliseconds have passed: garbage collection calls it between batches,
    /// so that under a steady load most transactions carry no collection batch. Returns at once
    /// where writes do not queue behind one another.
    func yieldToWriters() async

    /// Gives back to the file system the space deletions freed, where the database keeps it.
    func shrink() async throws

    /// Runs `body` unless another process holds the lock named `key` (a constant of the caller),
    /// and returns nil without running it if one does: work that one node of a cluster does at a
    /// time, such as garbage collection. The lock goes with the process: a node that dies
    /// releases it. On SQLite, whose data directory one process holds, `body` just runs.
    func exclusively<T: Sendable>(_ key: Int64, _ body: @escaping @Sendable () async throws -> T) async throws -> T?
}

extension Database {
    func write<T: Sendable>(_ body: @escaping @Sendable (any DatabaseSession) async throws -> T) async throws -> T {
        try await write(durable: true, body)
    }
}

public enum DatabaseDialect: Sendable {
    case sqlite, postgres
}

/// Statements on one connection, inside the body of a `Database` call.
public protocol DatabaseSession {
    /// Runs one statement to completion and returns how many rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [DatabaseValue]) async throws -> Int
    /// Calls `body` with each row, in order, without collecting them.
    func forEachRow(_ sql: String, _ values: [DatabaseValue], _ body: (any DatabaseRow) throws -> Void) async throws
}

extension DatabaseSession {
    @discardableResult
    func run(_ sql: String) async throws -> Int {
        try await run(sql, [])
    }

    func rows<Row>(_ sql: String, _ values: [DatabaseValue] = [], _ read: (any DatabaseRow) throws -> Row) async throws
        -> [Row]
    {
        var rows: [Row] = []
        try await forEachRow(sql, values) { rows.append(try read($0)) }
        return rows
    }

    func firstRow<Row>(_ sql: String, _ values: [DatabaseValue] = [], _ read: (any DatabaseRow) throws -> Row)
        async throws -> Row?
    {
        var first: Row?
        try await forEachRow(sql, values) { row in
            if first == nil { first = try read(row) }
        }
        return first
    }
}

/// One row of a result. Columns are numbered from 0. As in SQLite, NULL reads as 0 or "".
public protocol DatabaseRow {
    func optionalInteger(at column: Int32) -> Int64?
    func optionalText(at column: Int32) -> String?
    func optionalBytes(at column: Int32) -> [UInt8]?
    /// The column as it is stored: for copying rows whatever their columns' types.
    func value(at column: Int32) -> DatabaseValue
}

extension DatabaseRow {
    func integer(at column: Int32) -> Int64 {
        optionalInteger(at: column) ?? 0
    }

    func text(at column: Int32) -> String {
        optionalText(at: column) ?? ""
    }
}

extension DatabaseSession {
    func forEachRow(_ sql: String, _ body: (any DatabaseRow) throws -> Void) async throws {
        try await forEachRow(sql, [], body)
    }
}
