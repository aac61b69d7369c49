/// PostgreSQL's form of the SQLite writer's group commit: it commits `WriteQueue`'s batches, the
/// writes of this node that arrived while a transaction was running, on one connection, each in
/// a SAVEPOINT so that a write that fails is rolled back and fails alone. Sixteen concurrent
/// pushes then cost one commit and one WAL flush, not sixteen, and never conflict with each
/// other; the transaction is SERIALIZABLE for the other nodes' writes, and a batch that one of
/// them made fail for a conflict runs again, every body anew.
final class PostgreSQLWriter: Sendable {
    typealias Session = @Sendable (@escaping @Sendable (PostgreSQLSession) async throws -> [@Sendable () -> Void]) async throws
        -> [@Sendable () -> Void]

    private let withSession: Session
    private let retries: Int

    init(retries: Int, withSession: @escaping Session) {
        self.retries = retries
        self.withSession = withSession
    }

    func commit(_ batch: [WriteQueue.PendingWrite]) async {
        var attempt = 1
        while true {
            do {
                let outcomes = try await withSession { session in try await Self.run(batch, in: session) }
                outcomes.forEach { $0() }
                return
            } catch let error as MetadataError where error.isConflict && attempt < retries {
                attempt += 1
                // A short random pause, so that the transactions that collided do not meet again.
                try? await Task.sleep(for: .microseconds(Int.random(in: 100...(1000 * min(attempt, 20)))))
            } catch {
                batch.forEach { $0.fail(error) }
                return
            }
        }
    }

    /// One transaction for the batch. A conflict, or a connection that failed, ends the whole
    /// transaction (the caller runs it again, or fails every write); any other error is the
    /// write's own.
    private static func run(_ batch: [WriteQueue.PendingWrite], in session: PostgreSQLSession) async throws -> [@Sendable () -> Void] {
        try await session.transaction("BEGIN ISOLATION LEVEL SERIALIZABLE") {
            // Off for this transaction only when no write in it needs to be on disk.
            if !batch.contains(where: \.durable) { try await session.run("SET LOCAL synchronous_commit TO OFF") }
            // A write alone in its batch needs no savepoint: if it fails, the whole transaction is
            // rolled back, which is that write alone (two round trips fewer when writes are few).
            if batch.count == 1, let write = batch.first { return [try await write.apply(session)] }
            var outcomes: [@Sendable () -> Void] = []
            for write in batch {
                try await session.run("SAVEPOINT write")
                do {
                    let succeed = try await write.apply(session)
                    try await session.run("RELEASE write")
                    outcomes.append(succeed)
                } catch let error as MetadataError where error.isConflict || error.isUnavailable {
                    throw error
                } catch {
                    try await session.run("ROLLBACK TO write")
                    try await session.run("RELEASE write")
                    outcomes.append { write.fail(error) }
                }
            }
            return outcomes
        }
    }
}
