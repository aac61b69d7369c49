import Dispatch

/// A read-only connection on a serial executor of its own, so that lookups neither wait for the
/// writer's fsync nor block the cooperative pool. WAL mode lets it read while the writer commits.
///
/// `@unchecked Sendable`: the connection is only touched by jobs given to `submit`, which runs
/// them one at a time.
final class SQLiteReader: @unchecked Sendable {
    private let connection: SQLiteConnection
    private let submit: @Sendable (@escaping @Sendable () -> Void) -> Void

    /// A reader on a dispatch queue of its own: for requests' lookups.
    init(connection: SQLiteConnection) {
        self.connection = connection
        let queue = DispatchQueue(label: "stowage.metadata.reader")
        submit = { queue.async(execute: $0) }
    }

    /// A reader on the background thread: for scans that should take only the CPU requests leave.
    init(connection: SQLiteConnection, on background: BackgroundThread) {
        self.connection = connection
        submit = { background.submit($0) }
    }

    /// Runs `body` in one read transaction, so a lookup made of several queries sees one snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit {
                continuation.resume(with: Result { try self.snapshot(body) })
            }
        }
    }

    private func snapshot<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try connection.run("BEGIN")
        // Ending a read transaction cannot lose anything, so its failure is not the caller's.
        defer { _ = try? connection.run("COMMIT") }
        return try body(connection)
    }
}
