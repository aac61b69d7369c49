@testable import BlobStore
import Foundation
import Testing

/// Blocking calls never hold a thread of the Swift cooperative pool (as many threads as cores):
/// a few held at once would stall every other request and task of the process until the device
/// caught up. Serialized: each test holds many blocking-I/O threads.
@Suite("A slow device", .serialized)
struct SlowDeviceTests {
    /// The gate opens by itself after this long, from a timer off the pool: a test whose pool
    /// stalls cannot open it, and finds it open when it runs again. A stalled pool stays stalled
    /// for longer, even where Dispatch lends it a thread about once a second (as it does when the
    /// threads it shares with the pool all block).
    static let window = 5.0

    @Test func hangingBlockingCallsLeaveThePoolFree() async throws {
        let gate = Gate()
        gate.release(after: Self.window)
        // Many more calls than the pool has threads; half the blocking-I/O threads at most.
        let calls = min(8 * ProcessInfo.processInfo.activeProcessorCount, BlockingIO.threadCount / 2)
        let hanging = (0..<calls).map { _ in Task.detached { try await BlockingIO.run { gate.hold() } } }
        try await gate.waitUntilHeld(calls, seconds: Self.window - 1)
        let stalled = await Task.detached { gate.released }.value
        #expect(!stalled, "the cooperative pool stalled: a task ran only once the calls returned")
        #expect(gate.held == calls)
        gate.release()
        for call in hanging { try await call.value }
    }
}
