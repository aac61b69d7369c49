import Dispatch
import Synchronization

/// The one read-write connection, with group commit: writes that arrive while a transaction is
/// committing wait and then share the next transaction, so many concurrent manifest PUTs cost
/// one fsync. Each write runs inside its own SAVEPOINT, so a write whose statements fail is
/// rolled back and fails alone while the rest of its batch commits. A batch made only of writes
/// that may wait for durability commits with `synchronous=NORMAL`, without an fsync of its own:
/// WAL frames are appended in order, so the next durable commit's fsync covers them too.
///
/// The bodies are `async` (the stores' SQL is written once for SQLite and PostgreSQL), but a
/// drain runs as a task preferring `executor`, so they run on `queue`, and SQLite's calls never
/// suspend: a body runs from start to end there.
///
/// `@unchecked Sendable`: the connection and `synchronousFull` are only touched by `drain`, which
/// runs on `queue`, and `state.draining` guarantees a single drain at a time; the rest of the
/// state sits in a Mutex.
final class SQLiteWriter: @unchecked Sendable {
    private struct PendingWrite: Sendable {
        /// Runs the write's statements; returns what to do once its transaction has committed.
        let apply: @Sendable (SQLiteConnection) async throws -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
        /// Whether the write must be on disk before it is reported done.
        let durable: Bool
    }

    private struct State {
        var pending: [PendingWrite] = []
        var draining = false
        var commits = 0
    }

    private let connection: SQLiteConnection
    /// The connection's `synchronous` mode: FULL (opened so) unless the last batch needed no fsync.
    private var synchronousFull = true
    private let executor: JobExecutor
    private let state = Mutex(State())

    init(connection: SQLiteConnection) {
        self.connection = connection
        let queue = DispatchQueue(label: "stowage.metadata.writer")
        executor = JobExecutor { queue.async(execute: $0) }
    }

    /// Transactions committed so far; with concurrent writers it grows slower than the writes.
    var commitCount: Int { state.withLock { $0.commits } }

    /// Writes waiting for the next transaction.
    var pendingCount: Int { state.withLock { $0.pending.count } }

    /// Runs `body` on the writer connection inside a transaction it may share with other writes,
    /// and returns its result once that transaction has committed and, if `durable`, is on disk.
    /// A write that is not durable is visible at once and on disk with the next durable commit;
    /// a power failure before that may lose it.
    func write<T: Sendable>(durable: Bool, _ body: @escaping @Sendable (any DatabaseSession) async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit(
                PendingWrite(
                    apply: { connection in
                        let value = try await body(connection)
                        return { continuation.resume(returning: value) }
                    },
                    fail: { continuation.resume(throwing: $0) },
                    durable: durable
                )
            )
        }
    }

    /// Queues `body` for the next transaction without waiting for it; a failure is dropped. For
    /// bookkeeping that may be lost, such as a token's last use.
    func enqueue(_ body: @escaping @Sendable (any DatabaseSession) async throws -> Void) {
        submit(PendingWrite(apply: { connection in try await body(connection); return {} }, fail: { _ in }, durable: false))
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

    private func commit(_ batch: [PendingWrite]) async {
        let durable = batch.contains { $0.durable }
        do {
            if durable != synchronousFull {
                try connection.control(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
                synchronousFull = durable
            }
            try connection.control("BEGIN IMMEDIATE")
        } catch {
            batch.forEach { $0.fail(error) }
            return
        }
        var outcomes: [@Sendable () -> Void] = []
        for write in batch {
            do {
                try connection.control("SAVEPOINT write")
                let succeed = try await write.apply(connection)
                try connection.control("RELEASE write")
                outcomes.append(succeed)
            } catch {
                guard connection.isInTransaction, (try? connection.control("ROLLBACK TO write")) != nil,
                    (try? connection.control("RELEASE write")) != nil
                else {
                    // SQLite abandoned the whole transaction: the writes before this one are lost too.
                    _ = try? connection.control("ROLLBACK")
                    batch.forEach { $0.fail(error) }
                    return
                }
                outcomes.append { write.fail(error) }
            }
        }
        do {
            try connection.control("COMMIT")
        } catch {
            _ = try? connection.control("ROLLBACK")
            batch.forEach { $0.fail(error) }
            return
        }
        state.withLock { $0.commits += 1 }
        outcomes.forEach { $0() }
    }
}
