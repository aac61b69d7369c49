import BlobStore
import NIOCore

/// The engine on the node's own disk: one node's storage. Its lookups, sessions and collection
/// satisfy the protocol as they are; only the streaming methods adapt the request body.
extension BlobStore: BlobStorage {
    /// Each block is read and verified straight into the buffer that is sent.
    public func read(_ digest: Digest, range: Range<UInt64>, allocator: ByteBufferAllocator, _ body: (ByteBuffer) async throws -> Void)
        async throws
    {
        try await readBlocks(digest, range: range) { block in
            try await body(try ByteBuffer(reading: block, allocator: allocator))
        }
    }

    public func redirectURL(for digest: Digest) async throws -> String? { nil }

    public func fileBytes() async throws -> UInt64? { try dataDirectoryBytes() }

    /// The data directory is this process's own: it answers while the store is open.
    public func isReachable() async -> Bool { isOpen }

    public func put(expected: Digest, streaming chunk: UploadChunk) async throws -> BlobInfo {
        try await put(expected: expected) { appender in
            try await chunk.forEach(from: 0) { try await appender.write($0) }
        }
    }

    public func append(to id: String, at offset: UInt64?, _ chunk: UploadChunk) async throws -> UInt64 {
        try await append(to: id, at: offset) { appender in
            try await chunk.forEach(from: appender.offset) { try await appender.write($0) }
        }
    }

    public func commitUpload(_ id: String, expected: Digest, at offset: UInt64?, finalChunk: UploadChunk) async throws -> BlobInfo {
        try await commitUpload(id, expected: expected, at: offset) { appender in
            try await finalChunk.forEach(from: appender.offset) { try await appender.write($0) }
        }
    }
}
