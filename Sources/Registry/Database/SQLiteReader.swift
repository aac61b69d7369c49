import Dispatch

/// A read-only connection on a serial executor of its own, so that lookups neither wait for the
/// writer's fsync nor block the cooperative pool. WAL mode lets it read while the writer commits.
///
/// A read runs its body preferring `executor`: on the reader's thread, where SQLite's calls,
/// which never suspend, run the body from start to end, one read at a time.
///
/// `@unchecked Sendable`: the connection is only touched by bodies on `executor`, which runs them
/// one at a time.
final class SQLiteReader: @unchecked Sendable {
    private let connection: SQLiteConnection
    private let executor: JobExecutor

    /// A reader on a dispatch queue of its own: for requests' lookups.
    init(connection: SQLiteConnection) {
        self.connection = connection
        let queue = DispatchQueue(label: "stowage.metadata.reader")
        executor = JobExecutor { queue.async(execute: $0) }
    }

    /// A reader on the background thread: for scans that should take only the CPU requests leave.
    init(connection: SQLiteConnection, on background: BackgroundThread) {
        self.connection = connection
        executor = JobExecutor { background.submit($0) }
    }

    /// Runs `body` in one read transaction, so a lookup made of several queries sees one snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any DatabaseSession) async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(executor) {
            try connection.control("BEGIN")
            // Ending a read transaction cannot lose anything, so its failure is not the caller's.
            defer { _ = try? connection.control("COMMIT") }
            return try await body(connection)
        }
    }
}
