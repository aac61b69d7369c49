import CSQLite

/// A prepared statement, cached by its connection and confined to the connection's queue.
final class SQLiteStatement: DatabaseRow {
    private let handle: OpaquePointer

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit { sqlite3_finalize(handle) }

    func bind(_ values: [DatabaseValue]) throws(MetadataError) {
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let result =
                switch value {
                case .null: sqlite3_bind_null(handle, index)
                case .integer(let integer): sqlite3_bind_int64(handle, index, integer)
                case .text(let text): sqlite3_bind_text(handle, index, text, -1, csqlite_transient())
                case .bytes(let bytes):
                    // A zero-length blob must still be a blob, not NULL: SQLite takes a null pointer for NULL.
                    bytes.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), csqlite_transient()) }
                }
            guard result == SQLITE_OK else { throw failure(result) }
        }
    }

    /// Advances to the next row; false once the statement is done.
    func step() throws(MetadataError) -> Bool {
        let result = sqlite3_step(handle)
        switch result {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw failure(result)
        }
    }

    /// Ends the current run, so that the statement holds no lock between uses.
    func reset() {
        sqlite3_reset(handle)
    }

    /// Nil for NULL.
    func optionalInteger(at column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
    }

    func value(at column: Int32) -> DatabaseValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_NULL: .null
        case SQLITE_INTEGER: .integer(sqlite3_column_int64(handle, column))
        case SQLITE_BLOB: .bytes(optionalBytes(at: column) ?? [])
        default: .text(optionalText(at: column) ?? "")
        }
    }

    /// A BLOB's bytes (an empty one for a zero-length blob); nil for NULL.
    func optionalBytes(at column: Int32) -> [UInt8]? {
        guard sqlite3_column_type(handle, column) != SQLITE_NULL else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let start = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: count))
    }

    func optionalText(at column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    private func failure(_ result: Int32) -> MetadataError {
        MetadataError(sqliteResult: result, message: String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))))
    }
}
