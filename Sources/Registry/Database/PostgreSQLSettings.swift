import Foundation
import PostgresNIO

/// Where the PostgreSQL database is, from `postgres://USER:PASSWORD@HOST:PORT/DATABASE`
/// (`postgresql://` too). The password may instead come from `PGPASSWORD`; `?sslmode=disable`,
/// `prefer` (the default) or `require` chooses TLS as libpq does, and `?pool=N` the most
/// connections a node opens (20).
public struct PostgreSQLSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    public var maximumConnections: Int

    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    /// Parses the URL; `environment` supplies `PGPASSWORD` when the URL has no password.
    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql" else {
            throw MetadataError.badLocation("expected postgres://USER:PASSWORD@HOST:PORT/DATABASE, got '\(Self.redacted(text))'")
        }
        guard let host = url.host, !host.isEmpty else { throw MetadataError.badLocation("\(Self.redacted(text)) names no host") }
        guard let user = url.user, !user.isEmpty else { throw MetadataError.badLocation("\(Self.redacted(text)) names no user") }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw MetadataError.badLocation("\(Self.redacted(text)) names no database (…/DATABASE)")
        }
        self.host = host
        port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw MetadataError.badLocation("port \(port) is out of range") }
        self.user = user.removingPercentEncoding ?? user
        password = url.password.map { $0.removingPercentEncoding ?? $0 } ?? environment["PGPASSWORD"]
        self.database = database.removingPercentEncoding ?? database
        tls = .prefer
        maximumConnections = 20
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw MetadataError.badLocation("sslmode must be disable, prefer or require")
                }
                tls = mode
            case "pool":
                guard let count = item.value.flatMap(Int.init), (1...1000).contains(count) else {
                    throw MetadataError.badLocation("pool must be a number of connections from 1 to 1000")
                }
                maximumConnections = count
            default:
                throw MetadataError.badLocation("unknown parameter '\(item.name)' (known: sslmode, pool)")
            }
        }
    }

    /// Whether `text` names a PostgreSQL database rather than a file.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// The URL with its password replaced, for messages and logs.
    public static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "…"
        return url.string ?? "postgres://…"
    }

    var clientConfiguration: PostgresClient.Configuration {
        let mode: PostgresClient.Configuration.TLS =
            switch tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: mode)
        configuration.options.maximumConnections = maximumConnections
        // A database that does not answer fails the request in seconds, as a 503, rather than
        // holding it until the client gives up.
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}
