import Dispatch
import Synchronization

/// The one read-write connection, committing `WriteQueue`'s batches: so many concurrent manifest
/// PUTs cost one fsync. Each write runs inside its own SAVEPOINT, so a write whose statements fail
/// is rolled back and fails alone while the rest of its batch commits. A batch made only of writes
/// that may wait for durability commits with `synchronous=NORMAL`, without an fsync of its own:
/// WAL frames are appended in order, so the next durable commit's fsync covers them too.
///
/// The bodies are `async` (the stores' SQL is written once for SQLite and PostgreSQL), but the
/// queue drains on `executor`, the connection's own thread, and SQLite's calls never suspend: a
/// body runs from start to end there.
///
/// `@unchecked Sendable`: the connection and `synchronousFull` are only touched by `commit`, which
/// the queue calls from one drain at a time, on `executor`; the count sits in a Mutex.
final class SQLiteWriter: @unchecked Sendable {
    private let connection: SQLiteConnection
    /// The connection's `synchronous` mode: FULL (opened so) unless the last batch needed no fsync.
    private var synchronousFull = true
    let executor: JobExecutor
    private let commits = Mutex(0)

    init(connection: SQLiteConnection) {
        self.connection = connection
        let queue = DispatchQueue(label: "stowage.metadata.writer")
        executor = JobExecutor { queue.async(execute: $0) }
    }

    /// Transactions committed so far; with concurrent writers it grows slower than the writes.
    var commitCount: Int { commits.withLock { $0 } }

    func commit(_ batch: [WriteQueue.PendingWrite]) async {
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
        commits.withLock { $0 += 1 }
        outcomes.forEach { $0() }
    }
}
