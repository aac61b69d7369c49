import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a blocking system call (fdatasync above all, which can take milliseconds; an upload's
/// block writes) off the Swift cooperative pool, whose few threads must stay free for request
/// handling.
///
/// The calls run on threads of their own, not on a concurrent DispatchQueue: on Linux, Dispatch's
/// global queues and the cooperative pool share one pool of threads, one per core, and Dispatch
/// adds a thread only about once a second when it finds them all blocked, so a few slow syncs
/// or writes stalled every task of the process (`SlowDeviceTests`).
enum BlockingIO {
    /// Enough for the writes in flight of every large upload a small server runs at once (three
    /// each) and the syncs beside them; jobs beyond that wait their turn, in order.
    static let threadCount = 32

    /// Whether this runs on one of the blocking-I/O threads (each marks itself in a
    /// thread-specific key), for assertions and tests.
    static var isBlockingThread: Bool { pthread_getspecific(BlockingThreads.marker) != nil }

    private static let pool = BlockingThreads(count: threadCount)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Starts `job` on a blocking-I/O thread once the jobs submitted before it have started.
    static func submit(_ job: @escaping @Sendable () -> Void) {
        pool.submit(job)
    }
}

/// Threads that take jobs from one queue, oldest first. They live as long as the process.
private final class BlockingThreads: Sendable {
    private let jobs = Mutex<[@Sendable () -> Void]>([])

    /// Set on each of these threads, so that code can tell them from the pool's.
    static let marker: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "cannot create a thread-specific key")
        return key
    }()
    /// Counts the jobs queued, so that each is taken by exactly one thread.
    private let ready = DispatchSemaphore(value: 0)

    init(count: Int) {
        for _ in 0..<count {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            let started = pthread_create(&thread, nil, { context in
                Unmanaged<BlockingThreads>.fromOpaque(context!).takeUnretainedValue().work()
            }, context)
            precondition(started == 0, "cannot start a blocking-I/O thread: error \(started)")
            pthread_detach(thread)
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(job) }
        ready.signal()
    }

    private func work() -> Never {
        _ = pthread_setspecific(Self.marker, UnsafeRawPointer(bitPattern: 1))
        while true {
            ready.wait()
            let job = jobs.withLock { $0.removeFirst() }
            job()
        }
    }
}
