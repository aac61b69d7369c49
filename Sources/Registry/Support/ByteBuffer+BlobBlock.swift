import BlobStore
import NIOCore

extension ByteBuffer {
    /// The kept bytes of `block`, read and verified straight into a new buffer: a blob's bytes
    /// travel from the page cache to the socket with no copy in between.
    init(reading block: BlobBlock, allocator: ByteBufferAllocator) throws {
        self = allocator.buffer(capacity: block.count)
        try writeWithUnsafeMutableBytes(minimumWritableBytes: block.count) { free in
            try block.read(into: free)
            return block.count
        }
        moveReaderIndex(forwardBy: block.kept.lowerBound)
        moveWriterIndex(to: block.kept.upperBound)
    }
}
