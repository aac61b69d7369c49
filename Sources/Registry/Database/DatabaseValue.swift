import BlobStore

/// A value bound to a statement parameter.
public enum DatabaseValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    /// Binary: SQLite's BLOB, PostgreSQL's BYTEA.
    case bytes([UInt8])

    /// Stored as text (`sha256:…`) so that the file reads plainly in the sqlite3 shell.
    static func digest(_ digest: Digest?) -> DatabaseValue {
        digest.map { .text($0.description) } ?? .null
    }

    static func optionalText(_ text: String?) -> DatabaseValue {
        text.map { .text($0) } ?? .null
    }

    static func optionalInteger(_ value: Int?) -> DatabaseValue {
        value.map { .integer(Int64($0)) } ?? .null
    }

    /// Sizes over Int64.max wrap negative and trip the tables' `size >= 0` checks: an error, not a trap.
    static func size(_ size: UInt64) -> DatabaseValue {
        .integer(Int64(bitPattern: size))
    }
}
