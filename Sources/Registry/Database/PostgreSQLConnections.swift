import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization
// ConnectionPoolError, the pool's own failures; postgres-nio exports the module as a product.
import _ConnectionPoolModule

/// The pool of connections to PostgreSQL (`PostgresClient`, run by a task of its own until this
/// is released), and how a call gets one: with a bound on the wait, and every failure in
/// `MetadataError`'s terms.
final class PostgreSQLConnections: Sendable {
    let client: PostgresClient
    let settings: PostgreSQLSettings
    let logger: Logger
    private let placeholders = PostgreSQLPlaceholders()
    private let running: Task<Void, Never>

    init(_ settings: PostgreSQLSettings, readingOnly: Bool, logger: Logger) {
        var configuration = settings.clientConfiguration
        if readingOnly {
            configuration.options.additionalStartupParameters.append(("default_transaction_read_only", "on"))
        }
        var background = logger
        background.logLevel = .warning
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        self.client = client
        self.settings = settings
        self.logger = logger
        running = Task { await client.run() }
    }

    deinit { running.cancel() }

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

    func withSession<T: Sendable>(_ body: @escaping @Sendable (PostgreSQLSession) async throws -> T) async throws -> T {
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
