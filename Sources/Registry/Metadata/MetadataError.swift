/// Why the metadata database refused or failed an operation. The facade maps these to OCI errors
/// in one place: `constraint` is the caller's fault (a malformed tag, a duplicate upload id), the
/// others are the server's.
public enum MetadataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A UNIQUE, CHECK, NOT NULL or foreign-key constraint refused the write; the database's message.
    case constraint(String)
    /// The disk failed or filled up, or the file cannot be opened or is not a usable database.
    case io(String)
    /// Any other database failure (busy beyond the timeout, misuse), with the database's code.
    case database(code: Int32, message: String)
    /// The file was migrated by a newer Stowage; this build does not know its schema.
    case schemaTooNew(version: Int, supported: Int)
    /// Opened read-only at an older schema, which only a migration (a write) would bring to this
    /// build's.
    case schemaTooOld(version: Int, supported: Int)
    /// A stored digest or name no longer parses: the file was edited by hand or by a broken build.
    case corruptValue(String)
    /// The database cannot be reached or is shutting down (PostgreSQL stopped, the network
    /// down): the request may be tried again later.
    case unavailable(String)
    /// The database refused the transaction for a conflict with a concurrent one, and the
    /// retries ran out: the request may be tried again.
    case conflict(String)
    /// Every connection to the database stayed busy too long: the request may be tried again.
    case busy(String)
    /// A database location (`metadata.url`) that does not parse.
    case badLocation(String)

    public var description: String {
        switch self {
        case .constraint(let message): "metadata constraint failed: \(message)"
        case .io(let message): "metadata database I/O failed: \(message)"
        case .database(let code, let message): "metadata database error \(code): \(message)"
        case .schemaTooNew(let version, let supported):
            "metadata database is at schema version \(version); this build supports up to \(supported)"
        case .schemaTooOld(let version, let supported):
            "metadata database is at schema version \(version), older than this build's \(supported); reading it would need a migration"
        case .corruptValue(let value): "metadata database holds an invalid value: \(value)"
        case .unavailable(let message): "metadata database unavailable: \(message)"
        case .conflict(let message): "metadata transaction conflicted with a concurrent one: \(message)"
        case .busy(let message): "metadata database busy: \(message)"
        case .badLocation(let message): "metadata database location: \(message)"
        }
    }

    /// Whether the database was only too busy to take the request, which may be tried again:
    /// SQLite busy or locked past the busy timeout (SQLITE_BUSY, SQLITE_LOCKED), PostgreSQL
    /// transactions that kept conflicting past the retries, or a pool with no free connection.
    public var isBusy: Bool {
        switch self {
        case .database(let code, _): [5, 6].contains(code & 0xff)
        case .conflict, .busy: true
        default: false
        }
    }
}
