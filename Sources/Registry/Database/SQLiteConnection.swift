import CSQLite

/// One SQLite connection with its cache of prepared statements: the SQLite session of the
/// `Database` calls. Its methods are synchronous; called through `DatabaseSession` they never
/// suspend, so a body runs from start to end on its owner's thread.
///
/// Opened with SQLITE_OPEN_NOMUTEX, so it is not safe to share: its owner (`SQLiteWriter` or
/// `SQLiteReader`) confines it to one serial queue.
final class SQLiteConnection: DatabaseSession {
    private let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]

    init(path: String, readOnly: Bool) throws(MetadataError) {
        let access = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        handle = try Self.open(path, flags: access | SQLITE_OPEN_NOMUTEX)
    }

    /// A read-only connection to a `file:` URI (`fileURI`).
    init(uri: String) throws(MetadataError) {
        handle = try Self.open(uri, flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX)
    }

    private static func open(_ name: String, flags: Int32) throws(MetadataError) -> OpaquePointer {
        var opened: OpaquePointer?
        let result = sqlite3_open_v2(name, &opened, flags, nil)
        guard let opened else { throw .io("cannot allocate a connection to \(name)") }
        guard result == SQLITE_OK else {
            let error = MetadataError(sqliteResult: result, message: "\(name): \(String(cString: sqlite3_errmsg(opened)))")
            sqlite3_close_v2(opened)
            throw error
        }
        return opened
    }

    /// `file:PATH?mode=ro`, or with `immutable=1`: SQLite then takes no lock and creates no
    /// `-wal` or `-shm`, trusting that nothing changes the file while it is open. The path is
    /// percent-encoded where a URI would read it otherwise.
    static func fileURI(_ path: String, immutable: Bool) -> String {
        var encoded = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "%"), UInt8(ascii: "?"), UInt8(ascii: "#"), 0..<0x20, 0x7f...:
                encoded += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            default:
                encoded.append(Character(Unicode.Scalar(byte)))
            }
        }
        return "file:\(encoded)?mode=ro" + (immutable ? "&immutable=1" : "")
    }

    deinit {
        // Statements first: a connection with live statements would linger as a zombie.
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs SQL text that may hold several statements and binds nothing: pragmas and migrations.
    func execute(_ sql: String) throws(MetadataError) {
        var message: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard result == SQLITE_OK else {
            throw MetadataError(sqliteResult: result, message: message.map { String(cString: $0) } ?? "")
        }
    }

    /// Runs one statement to completion and returns how many rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [DatabaseValue]) throws(MetadataError) -> Int {
        let statement = try prepared(sql, values)
        defer { statement.reset() }
        while try statement.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// `run` without parameters, for the owners' own statements (transaction control, pragmas);
    /// a name of its own, since in an async function Swift would pick `DatabaseSession.run`.
    @discardableResult
    func control(_ sql: String) throws(MetadataError) -> Int {
        try run(sql, [])
    }

    /// Steps through the rows without collecting them. The row is the statement itself: no copy.
    func forEachRow(_ sql: String, _ values: [DatabaseValue], _ body: (any DatabaseRow) throws -> Void) throws {
        let statement = try prepared(sql, values)
        defer { statement.reset() }
        while try statement.step() {
            try body(statement)
        }
    }

    /// The first column of the first row, for pragmas read outside a `Database` call.
    func integer(_ sql: String) throws(MetadataError) -> Int64? {
        let statement = try prepared(sql, [])
        defer { statement.reset() }
        return try statement.step() ? statement.optionalInteger(at: 0) : nil
    }

    /// False once SQLite has rolled a transaction back by itself (it does on some I/O errors).
    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    private func prepared(_ sql: String, _ values: [DatabaseValue]) throws(MetadataError) -> SQLiteStatement {
        let statement: SQLiteStatement
        if let cached = statements[sql] {
            statement = cached
        } else {
            var compiled: OpaquePointer?
            let result = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &compiled, nil)
            guard result == SQLITE_OK, let compiled else {
                throw MetadataError(sqliteResult: result, message: "\(String(cString: sqlite3_errmsg(handle))) in \(sql)")
            }
            statement = SQLiteStatement(handle: compiled)
            statements[sql] = statement
        }
        try statement.bind(values)
        return statement
    }
}

extension MetadataError {
    init(sqliteResult result: Int32, message: String) {
        switch result & 0xff {
        case SQLITE_CONSTRAINT: self = .constraint(message)
        case SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_PERM, SQLITE_READONLY:
            self = .io(message)
        default: self = .database(code: result, message: message)
        }
    }
}
