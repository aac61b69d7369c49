import CStowageSystem
import Dispatch
import Foundation
import Synchronization

/// One thread at a low scheduling priority, running jobs in order: the executor of garbage
/// collection and of the scans it (and retention, package listings, fsck's references check)
/// makes, so that they take the CPU that requests leave rather than compete with them. The
/// priority is a weight, not a ban: under a load that keeps every core busy, collection still
/// gets about a tenth of one.
///
/// `@unchecked Sendable`: `jobs` is behind a Mutex and `ready` counts the jobs queued, so the
/// thread takes each job exactly once.
final class BackgroundThread: SerialExecutor, @unchecked Sendable {
    static let shared = BackgroundThread()

    /// Linux nice value: weight 110 against a request thread's 1024.
    private static let nice: Int32 = 10

    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let ready = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in
            _ = stowage_lower_thread_priority(Self.nice)
            while true {
                ready.wait()
                let job = jobs.withLock { $0.removeFirst() }
                job()
            }
        }
        thread.name = "stowage.background"
        thread.start()
    }

    /// Runs `job` on the thread after the jobs queued before it.
    func submit(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(job) }
        ready.signal()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        submit { [self] in job.runSynchronously(on: asUnownedSerialExecutor()) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}
