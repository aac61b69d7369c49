import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one request's bytes to an upload's spool in 1 MiB blocks, each on a blocking-I/O
/// thread while the request's task hashes the next ones. A request that must wait for a write
/// suspends (`makeRoom`, `flush`, `drain`): it never holds a thread of the cooperative pool, whose
/// few threads serve every request.
///
/// Full blocks bypass the page cache (O_DIRECT) where the file system allows it: copying a
/// large blob into the page cache costs more CPU than hashing it (and far more in a VM, where
/// every fresh page of cache faults in host memory), and the commit's fdatasync is then left
/// with little but the device's cache to flush. The partial block a request ends on goes
/// through the page cache, so an upload can stop there and resume; the next request reads that
/// block's head back (under 4 KiB) to write it whole.
struct SpoolWriter {
    let spool: SystemFile
    /// The spool opened for direct writes at the first full block; the spool itself when the
    /// file system refuses direct I/O.
    private var blockFile: SystemFile?
    private var current: StagingBuffer?
    /// File offset of the current block's first byte: a multiple of `StagingBuffer.alignment`.
    private var blockStart: UInt64
    /// Bytes of the current block staged so far, and how many of those were already on file.
    private var filled: Int
    private var onFile: Int
    /// Writes in flight, oldest first. A few at once keep the device busy while the hasher,
    /// which runs at about the device's speed, fills the next block.
    private var pending: [PendingWrite] = []
    private static let writesInFlight = 3

    /// A test's stand-in for a slow device: called with the spool's path on the blocking-I/O
    /// thread before each full block is written. Always nil outside tests.
    static let beforeBlockWrite = Mutex<(@Sendable (String) -> Void)?>(nil)

    /// Whether the bytes before the first one written, in its 4 KiB page, are zeros (a new
    /// spool's reserved head), so they need not be read back.
    private var headIsZero: Bool

    /// A writer whose next byte goes to `offset` in `spool`.
    init(spool: SystemFile, at offset: UInt64, headIsZero: Bool) {
        self.spool = spool
        self.headIsZero = headIsZero
        blockStart = offset & ~UInt64(StagingBuffer.alignment - 1)
        filled = Int(offset - blockStart)
        onFile = filled
    }

    /// Waits, if staging `count` more bytes would fill the block while as many writes as may be
    /// are in flight, for the oldest of them. Throws if it failed.
    mutating func makeRoom(for count: Int) async throws {
        if pending.count == Self.writesInFlight && filled + count >= StagingBuffer.size { try await completeOldest() }
    }

    /// Copies the head of `bytes` into the block being staged, up to the block's end, and hands
    /// the block to a write if it fills; returns how many bytes it took. Never waits: the caller
    /// makes room first.
    mutating func stage(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        let block = try currentBlock()
        let count = min(bytes.count, StagingBuffer.size - filled)
        // In bounds: filled + count <= StagingBuffer.size, the block's capacity.
        UnsafeMutableRawBufferPointer(rebasing: block.bytes[filled..<(filled + count)])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[..<count]))
        filled += count
        if filled == StagingBuffer.size { submit(block) }
        return count
    }

    /// Waits for the writes in flight and writes the partial block: every staged byte is then in
    /// the spool (not yet synced).
    mutating func flush() async throws {
        while !pending.isEmpty { try await completeOldest() }
        guard let block = current else { return }
        current = nil
        defer { StagingBuffer.give(block) }
        if filled > onFile {
            let (spool, start, range) = (spool, blockStart + UInt64(onFile), onFile..<filled)
            try await BlockingIO.run { try spool.write(UnsafeRawBufferPointer(rebasing: block.bytes[range]), at: start) }
            onFile = filled
        }
    }

    /// The block being staged; a fresh one starts with the bytes already on file before the
    /// next byte in its block (under 4 KiB at a request's start).
    private mutating func currentBlock() throws -> StagingBuffer {
        if let current { return current }
        let block = StagingBuffer.take()
        // In bounds: filled < StagingBuffer.size, since a block that fills is submitted at once.
        let head = UnsafeMutableRawBufferPointer(rebasing: block.bytes[..<filled])
        if headIsZero {
            head.initializeMemory(as: UInt8.self, repeating: 0)
            headIsZero = false
        } else if filled > 0 {
            guard try spool.read(into: head, at: blockStart) == filled else {
                StagingBuffer.give(block)
                throw BlobStoreError.damaged(path: spool.path, reason: "spool is shorter than the bytes received")
            }
        }
        current = block
        return block
    }

    /// Hands a full block to a write and moves on to the next.
    private mutating func submit(_ block: StagingBuffer) {
        precondition(pending.count < Self.writesInFlight, "a block was staged without making room for its write")
        current = nil
        if blockFile == nil { blockFile = (try? SystemFile.openDirect(spool.path)) ?? spool }
        pending.append(PendingWrite(block, to: blockFile!, fallback: spool, at: blockStart))
        blockStart += UInt64(StagingBuffer.size)
        filled = 0
        onFile = 0
    }

    /// Waits for every write in flight, ignoring their errors: once the caller gives the upload
    /// up, no write of its may land in the spool after the next request's. A cancelled task waits
    /// all the same (the writes' continuations do not heed cancellation).
    mutating func drain() async {
        while !pending.isEmpty { try? await completeOldest() }
        if let block = current {
            current = nil
            StagingBuffer.give(block)
        }
    }

    private mutating func completeOldest() async throws {
        let write = pending.removeFirst()
        do {
            StagingBuffer.give(try await write.wait())
        } catch {
            await drain()
            throw error
        }
    }
}

/// A block's pwrite on a blocking-I/O thread, handed over at once (not when the cooperative pool
/// next has a thread for a task), and waited for by suspending.
///
/// The block changes hands through the state's lock: the writing thread reads it until it
/// records the outcome, and `wait()` returns it only after that.
private final class PendingWrite: Sendable {
    private enum State {
        case writing
        case awaited(CheckedContinuation<StagingBuffer, any Error>)
        case done(Result<StagingBuffer, any Error>)
    }

    private let state = Mutex(State.writing)

    init(_ block: StagingBuffer, to file: SystemFile, fallback: SystemFile, at offset: UInt64) {
        BlockingIO.submit { [self] in
            finish(Result { try Self.write(block, to: file, fallback: fallback, at: offset) })
        }
    }

    private static func write(_ block: StagingBuffer, to file: SystemFile, fallback: SystemFile, at offset: UInt64) throws -> StagingBuffer {
        let bytes = UnsafeRawBufferPointer(block.bytes)
        SpoolWriter.beforeBlockWrite.withLock { $0 }?(fallback.path)
        do {
            try file.write(bytes, at: offset)
        } catch BlobStoreError.io(_, _, EINVAL) where file !== fallback {
            // The file system took O_DIRECT at open but not this write's alignment.
            try fallback.write(bytes, at: offset)
        }
        return block
    }

    private func finish(_ result: Result<StagingBuffer, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<StagingBuffer, any Error>? in
            defer { state = .done(result) }
            if case .awaited(let continuation) = state { return continuation }
            return nil
        }
        waiter?.resume(with: result)
    }

    /// The block back once the write is done, or the write's error.
    func wait() async throws -> StagingBuffer {
        try await withCheckedThrowingContinuation { continuation in
            let result = state.withLock { state -> Result<StagingBuffer, any Error>? in
                if case .done(let result) = state { return result }
                state = .awaited(continuation)
                return nil
            }
            if let result { continuation.resume(with: result) }
        }
    }
}
