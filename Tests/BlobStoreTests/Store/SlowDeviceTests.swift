@testable import BlobStore
import Foundation
import Synchronization
import Testing

/// Blocking calls, and the uploads that wait for them, never hold a thread of the Swift
/// cooperative pool (as many threads as cores): a few held at once would stall every other
/// request and task of the process until the device caught up. Serialized: each test holds
/// many blocking-I/O threads.
@Suite("A slow device", .serialized)
struct SlowDeviceTests {
    /// The gate opens by itself after this long, from a timer off the pool: a test whose pool
    /// stalls cannot open it, and finds it open when it runs again. A stalled pool stays stalled
    /// for longer, even where Dispatch lends it a thread about once a second (as it does when the
    /// threads it shares with the pool all block).
    /// Long enough that a loaded machine (the whole suite beside this test, servers, clients, a
    /// docker daemon and the browser test's Chromium on two cores) does not delay a free pool past
    /// it: a fresh-clone run saw 15 s pass once while the browser test started. A stall that
    /// Dispatch's lent threads end sooner is caught by where the calls run instead. A passing run
    /// does not wait for it (the gate is released as soon as the checks are done).
    static let window = 30.0

    @Test func hangingBlockingCallsLeaveThePoolFree() async throws {
        let gate = Gate()
        gate.release(after: Self.window)
        // Many more calls than the pool has threads; half the blocking-I/O threads at most.
        let calls = min(8 * ProcessInfo.processInfo.activeProcessorCount, BlockingIO.threadCount / 2)
        let offPool = Tally()
        let hanging = (0..<calls).map { _ in
            Task.detached {
                try await BlockingIO.run {
                    if BlockingIO.isBlockingThread { offPool.add() }
                    gate.hold()
                }
            }
        }
        try await gate.waitUntilHeld(calls, seconds: Self.window - 1)
        let stalled = await Task.detached { gate.released }.value
        #expect(!stalled, "the cooperative pool stalled: a task ran only once the calls returned")
        #expect(gate.held == calls)
        // Every call on a blocking-I/O thread of its own, none on a thread Dispatch shares with
        // the pool (what the calls ran on before, stalling it for seconds).
        #expect(offPool.count == calls, "some calls ran on a thread Dispatch shares with the pool")
        gate.release()
        for call in hanging { try await call.value }
    }

    @Test func uploadsWaitingForWritesLeaveThePoolFree() async throws {
        let directory = TemporaryDirectory("slow-device")
        let store = try await BlobStore.open(at: directory.path)
        // Full-block writes of this store's spools wait at the gate; other tests' pass.
        let gate = Gate()
        let spools = directory.path + "/"
        SpoolWriter.beforeBlockWrite.withLock { $0 = { path in if path.hasPrefix(spools) { gate.hold() } } }
        defer { SpoolWriter.beforeBlockWrite.withLock { $0 = nil } }
        gate.release(after: Self.window)

        // More uploads than the pool has threads, each with more full blocks than may be in
        // flight at once, so that every one of them comes to wait for a held write.
        let uploads = 4 * ProcessInfo.processInfo.activeProcessorCount
        let blobs = (0..<uploads).map { randomBytes(seed: 700 + UInt64($0), count: 5 << 20) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for blob in blobs {
                group.addTask {
                    let upload = try await store.beginUpload()
                    try await store.append(to: upload) { try await $0.write(blob) }
                    _ = try await store.commitUpload(upload, expected: Digest.of(blob))
                }
            }
            try await gate.waitUntilHeld(min(uploads * 3, BlockingIO.threadCount), seconds: Self.window - 1)
            #expect(!gate.released, "the cooperative pool stalled: this task ran again only once the writes were let go")
            #expect(gate.held == min(uploads * 3, BlockingIO.threadCount))
            gate.release()
            try await group.waitForAll()
        }
        for blob in blobs {
            #expect(try await store.bytes(of: Digest.of(blob)) == blob)
        }
        try await store.close()
    }
}

/// A count that tasks and threads add to.
private final class Tally: Sendable {
    private let value = Mutex(0)
    var count: Int { value.withLock { $0 } }
    func add() { value.withLock { $0 += 1 } }
}
