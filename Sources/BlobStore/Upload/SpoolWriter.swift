import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one request's bytes to an upload's spool in 1 MiB blocks, each on a blocking-I/O
/// thread while the request's thread hashes the next ones.
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

    /// Copies `bytes` into the block being staged, handing each block that fills to a write.
    /// Throws if an earlier block's write failed.
    mutating func stage(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes
        while !rest.isEmpty {
            let block = try currentBlock()
            let count = min(rest.count, StagingBuffer.size - filled)
            // In bounds: filled + count <= StagingBuffer.size, the block's capacity.
            UnsafeMutableRawBufferPointer(rebasing: block.bytes[filled..<(filled + count)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[..<count]))
            filled += count
            rest = UnsafeRawBufferPointer(rebasing: rest[count...])
            if filled == StagingBuffer.size { try submit(block) }
        }
    }

    /// Waits for the write in flight and writes the partial block: every staged byte is then in
    /// the spool (not yet synced).
    mutating func flush() throws {
        while !pending.isEmpty { try completeOldest() }
        guard let block = current else { return }
        current = nil
        defer { StagingBuffer.give(block) }
        if filled > onFile {
            try spool.write(UnsafeRawBufferPointer(rebasing: block.bytes[onFile..<filled]), at: blockStart + UInt64(onFile))
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

    /// Hands a full block to a write (waiting for the oldest when too many are in flight) and
    /// moves on to the next.
    private mutating func submit(_ block: StagingBuffer) throws {
        current = nil
        if pending.count == Self.writesInFlight { try completeOldest() }
        if blockFile == nil { blockFile = (try? SystemFile.openDirect(spool.path)) ?? spool }
        pending.append(PendingWrite(block, to: blockFile!, fallback: spool, at: blockStart))
        blockStart += UInt64(StagingBuffer.size)
        filled = 0
        onFile = 0
    }

    /// Waits for every write in flight, ignoring their errors: once the caller gives the upload
    /// up, no write of its may land in the spool after the next request's.
    mutating func drain() {
        while !pending.isEmpty { try? completeOldest() }
        if let block = current {
            current = nil
            StagingBuffer.give(block)
        }
    }

    private mutating func completeOldest() throws {
        let write = pending.removeFirst()
        do {
            StagingBuffer.give(try write.wait())
        } catch {
            drain()
            throw error
        }
    }
}

/// A block's pwrite running on the blocking-I/O queue.
///
/// Unchecked Sendable: the block is read by the writing thread only, and `wait()` returns it
/// only after that thread has signalled it is done with it.
private final class PendingWrite: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let block: StagingBuffer
    private var error: (any Error)?

    init(_ block: StagingBuffer, to file: SystemFile, fallback: SystemFile, at offset: UInt64) {
        self.block = block
        BlockingIO.submit { [self] in
            let bytes = UnsafeRawBufferPointer(block.bytes)
            do {
                try file.write(bytes, at: offset)
            } catch BlobStoreError.io(_, _, EINVAL) where file !== fallback {
                // The file system took O_DIRECT at open but not this write's alignment.
                do { try fallback.write(bytes, at: offset) } catch { self.error = error }
            } catch {
                self.error = error
            }
            done.signal()
        }
    }

    /// Waits for the write; the block back, or the write's error.
    func wait() throws -> StagingBuffer {
        done.wait()
        if let error { throw error }
        return block
    }
}
