import HTTPTypes
import Hummingbird
import NIOCore

/// One request's body on its way into a blob: its buffers as they arrive, and the bytes its
/// `Content-Range` says it fills. With a range, the body must fill it exactly: a byte too many is
/// refused as it arrives, too few at the end (a chunked body has no length to check first), and
/// the storage then drops what the request wrote.
public struct UploadChunk: Sendable {
    let body: RequestBody
    let range: Range<UInt64>?
    let metrics: RegistryMetrics

    /// A body with nothing in it: a PUT that finishes an upload without a last chunk.
    static func empty(metrics: RegistryMetrics) -> UploadChunk {
        UploadChunk(body: RequestBody(buffer: ByteBuffer()), range: nil, metrics: metrics)
    }

    /// Passes each buffer on, in order. `offset` is where the upload stands: the storage has
    /// checked that the chunk's range starts there.
    func forEach(from offset: UInt64, _ consume: (ByteBuffer) async throws -> Void) async throws {
        var end = offset
        for try await buffer in body {
            if let range, end + UInt64(buffer.readableBytes) > range.upperBound {
                throw Self.unfilled(range, uploadAt: range.lowerBound)
            }
            try await consume(buffer)
            end += UInt64(buffer.readableBytes)
            metrics.bytesReceived(buffer.readableBytes)
        }
        if let range, end != range.upperBound {
            throw Self.unfilled(range, uploadAt: range.lowerBound)
        }
    }

    /// A chunk whose body does not fill its Content-Range is answered as one out of order: 416
    /// with the Range the upload stands at.
    static func unfilled(_ range: Range<UInt64>, uploadAt offset: UInt64) -> RegistryError {
        RegistryError(
            .rangeNotSatisfiable, .blobUploadInvalid,
            "the body does not fill its Content-Range \(range.lowerBound)-\(range.upperBound - 1)",
            headers: [.range: UploadRange.header(offset: offset)])
    }
}
