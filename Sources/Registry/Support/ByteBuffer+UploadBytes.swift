import BlobStore
import NIOCore

/// A request body's buffers go into an upload as they are, without a copy.
extension ByteBuffer: UploadBytes {
    public var byteCount: Int { readableBytes }

    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeReadableBytes(body)
    }
}
