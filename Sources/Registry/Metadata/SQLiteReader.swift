import Dispatch

/// A read-only connection on its own queue, so that lookups neither wait for the writer's fsync
/// nor block the cooperative pool. WAL mode lets it read while the writer commits.
///
/// `@unchecked Sendable`: the connection is only touched on `queue`, which is serial.
final class SQLiteReader: @unchecked Sendable {
    private let connection: SQLiteConnection
    private let queue = DispatchQueue(label: "stowage.metadata.reader")

    init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Runs `body` in one read transaction, so a lookup made of several queries sees one snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
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
