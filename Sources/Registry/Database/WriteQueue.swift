import Synchronization

/// Group commit's queue, the same for both databases: writes that arrive while a batch is being
/// committed wait and then go together in the next, which one drain at a time hands to `commit`
/// (`SQLiteWriter`, `PostgreSQLWriter`: one transaction, a SAVEPOINT per write). A write's caller
/// is answered once its batch has committed, or with its own error.
final class WriteQueue: Sendable {
    struct PendingWrite: Sendable {
        /// Runs the write's statements; returns what to do once its transaction has committed.
        let apply: @Sendable (any DatabaseSession) async throws -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
        /// Whether the write must be on disk before it is reported done.
        let durable: Bool
    }

    private struct State {
        var pending: [PendingWrite] = []
        var draining = false
    }

    private let state = Mutex(State())
    private let executor: (any TaskExecutor)?
    private let commit: @Sendable ([PendingWrite]) async -> Void

    /// `executor`: where the drain runs (SQLite's connection's own thread), if anywhere special.
    init(executor: (any TaskExecutor)?, commit: @escaping @Sendable ([PendingWrite]) async -> Void) {
        self.executor = executor
        self.commit = commit
    }

    /// Writes waiting for the next transaction.
    var pendingCount: Int { state.withLock { $0.pending.count } }

    /// Runs `body` inside a transaction it may share with other writes, and returns its result
    /// once that transaction has committed and, if `durable`, is on disk. A write that is not
    /// durable is visible at once and on disk with the next durable commit; a power failure
    /// before that may lose it.
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

    /// Queues `body` for the next transaction without waiting for it; a failure is dropped. For
    /// bookkeeping that may be lost, such as a token's last use.
    func enqueue(_ body: @escaping @Sendable (any DatabaseSession) async throws -> Void) {
        submit(PendingWrite(apply: { session in try await body(session); return {} }, fail: { _ in }, durable: false))
    }

    /// Returns once the writes waiting now have committed, and then once the queue has emptied
    /// or a few milliseconds have passed (`Database.yieldToWriters`).
    func yieldToWriters() async {
        guard pendingCount > 0 else { return }
        // Queued behind the writes waiting now, a write that does nothing returns once they
        // have committed.
        _ = try? await write(durable: false) { _ in }
        // Then a few milliseconds for a gap in the load, so that under a steady one most
        // transactions still carry no collection batch.
        for _ in 0..<5 where pendingCount > 0 {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    private func submit(_ write: PendingWrite) {
        let startDrain = state.withLock { state in
            state.pending.append(write)
            defer { state.draining = true }
            return !state.draining
        }
        if startDrain {
            Task(executorPreference: executor) { await self.drain() }
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
}
