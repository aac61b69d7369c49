import AsyncHTTPClient
import NIOCore

/// An object's size, ETag and `x-amz-meta-*` metadata (names lowercase, without the prefix).
public struct S3ObjectInfo: Sendable, Equatable {
    public let key: String
    public let size: UInt64
    public let etag: String
    public let metadata: [String: String]
}

/// One page of a listing; `continuation` asks for the next one.
public struct S3ListPage: Sendable {
    public let objects: [S3ObjectInfo]
    public let continuation: String?
}

public struct S3MultipartUpload: Sendable, Equatable {
    public let key: String
    public let uploadID: String
    /// When it was started, as the store writes it (ISO 8601).
    public let initiated: String
}

/// A part uploaded: its number and the ETag the store gave it.
public struct S3Part: Sendable, Equatable, Codable {
    public let number: Int
    public let etag: String

    public init(number: Int, etag: String) {
        self.number = number
        self.etag = etag
    }
}

/// An object's bytes as they arrive from the store. Reading it to the end (or dropping it)
/// releases the connection.
public struct S3ObjectBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    /// The bytes the store said it will send.
    public let length: UInt64?
    public let etag: String?
    let body: HTTPClientResponse.Body?

    public struct AsyncIterator: AsyncIteratorProtocol {
        var inner: HTTPClientResponse.Body.AsyncIterator?

        public mutating func next() async throws -> ByteBuffer? {
            try await inner?.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inner: body?.makeAsyncIterator())
    }
}
