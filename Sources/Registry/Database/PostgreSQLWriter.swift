import Synchronization

/// PostgreSQL's form of the SQLite writer's group commit: the writes of this node that arrive
/// while a transaction is running wait and then share the next one, on one connection, each in
/// a SAVEPOINT so that a write that fails is rolled back and fails alone. Sixteen concurrent
/// pushes then cost one commit and one WAL flush, not sixteen, and never conflict with each
/// other; the transaction is SERIALIZABLE for the other nodes' writes, and a batch that one of
/// them made fail for a conflict runs again, every body anew.
final class PostgreSQLWriter: Sendable {
    private struct PendingWrite: Sendable {
        /// Runs the write's statements; returns what to do once its transaction has committed.
        let apply: @Sendable (any DatabaseSession) async throws -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
        let durable: Bool
    }

    private struct State {
        var pending: [PendingWrite] = []
        var draining = false
    }

    typealias Session = @Sendable (@escaping @Sendable (PostgreSQLSession) async throws -> [@Sendable () -> Void]) async throws
        -> [@Sendable () -> Void]

    private let state = Mutex(State())
    private let withSession: Session
    private let retries: Int

    init(retries: Int, withSession: @escaping Session) {
        self.retries = retries
        self.withSession = withSession
    }

    /// Writes waiting for the next transaction.
    var pendingCount: Int { state.withLock { $0.pending.count } }

    func write<T: Sendable>(durable: Bool, _ body: @escaping @Sendable (any DatabaseSession) async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit(
                PendingWrite(
                    apply: { session in
                        let value = try await body(session)
                        return { continuation.resume(returning: value) }
                    },
                    fail: { continuation.resume(throwing: $0) }, durable: durable))
        }
    }

    /// Queues `body` for the next transaction without waiting for it; a failure is dropped.
    func enqueue(_ body: @escaping @Sendable (any DatabaseSession) async throws -> Void) {
        submit(PendingWrite(apply: { session in try await body(session); return {} }, fail: { _ in }, durable: false))
    }

    private func submit(_ write: PendingWrite) {
        let startDrain = state.withLock { state in
            state.pending.append(write)
            defer { state.draining = true }
            return !state.draining
        }
        if startDrain {
            Task { await self.drain() }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state in
                defer { state.pending.removeAll() }
                state.draining = !state.pending.isEmpty
                return state.pending
            }
            if batch.isEmpty { return }
            await commit(batch)
        }
    }

    private func commit(_ batch: [PendingWrite]) async {
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
    private static func run(_ batch: [PendingWrite], in session: PostgreSQLSession) async throws -> [@Sendable () -> Void] {
        try await session.transaction("BEGIN ISOLATION LEVEL SERIALIZABLE") {
            // Off for this transaction only when no write in it needs to be on disk.
            if !batch.contains(where: \.durable) { try await session.run("SET LOCAL synchronous_commit TO OFF") }
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
