import Logging

/// Where a registry's metadata lives: the SQLite file of its data directory (the default), or a
/// PostgreSQL database named by `metadata.url`, `STOWAGE_METADATA_URL` or `--metadata-url`.
public enum MetadataLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgreSQLSettings)

    /// `postgres://…` or `postgresql://…` (PostgreSQLSettings), `sqlite:PATH`, or nil for the
    /// data directory's own `metadata.db`.
    public init(url: String?, dataDirectory: String) throws {
        guard let url, !url.isEmpty else {
            self = .sqlite(path: RegistryServer.Configuration.metadataPath(in: dataDirectory))
            return
        }
        if PostgreSQLSettings.isURL(url) {
            self = .postgres(try PostgreSQLSettings(url: url))
        } else if url.hasPrefix("sqlite:"), url.count > "sqlite:".count {
            self = .sqlite(path: String(url.dropFirst("sqlite:".count)))
        } else {
            throw MetadataError.badLocation(
                "'\(PostgreSQLSettings.redacted(url))' is neither postgres://USER:PASSWORD@HOST:PORT/DATABASE nor sqlite:PATH")
        }
    }

    /// Opens the database, migrating it to this build's schema unless `readingOnly`
    /// (`SQLiteDatabase(readingOnly:)`, `PostgreSQLDatabase(_:readingOnly:logger:)`).
    public func open(readingOnly: Bool = false, logger: Logger) async throws -> any Database {
        switch self {
        case .sqlite(let path): readingOnly ? try SQLiteDatabase(readingOnly: path) : try SQLiteDatabase(path: path)
        case .postgres(let settings): try await PostgreSQLDatabase(settings, readingOnly: readingOnly, logger: logger)
        }
    }

    /// For messages: the file, or the server and database without the password.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let settings): "postgres://\(settings.user)@\(settings.host):\(settings.port)/\(settings.database)"
        }
    }
}
