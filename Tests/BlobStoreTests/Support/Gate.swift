import Dispatch
import Synchronization

/// Holds every thread that passes it until released: a device that has stopped answering.
final class Gate: Sendable {
    private let state = Mutex((held: 0, released: false))
    private let opened = DispatchSemaphore(value: 0)

    /// How many threads have come to the gate, and whether it has been opened.
    var held: Int { state.withLock { $0.held } }
    var released: Bool { state.withLock { $0.released } }

    /// Called on a thread that may wait (not one of the Swift pool's).
    func hold() {
        let released = state.withLock { state in
            state.held += 1
            return state.released
        }
        guard !released else { return }
        // Every waiter passes the signal on, so one release lets them all through.
        opened.wait()
        opened.signal()
    }

    func release() {
        let first = state.withLock { state in
            defer { state.released = true }
            return !state.released
        }
        if first { opened.signal() }
    }

    /// Opens the gate after `seconds` from a timer off the Swift pool: a test whose pool is
    /// stalled cannot open it itself, and finds it open when it runs again.
    func release(after seconds: Double) {
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { self.release() }
    }

    /// Waits, polling, until `count` threads are held or `seconds` have passed.
    func waitUntilHeld(_ count: Int, seconds: Double) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while held < count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
