/// Bytes an upload can take without copying them first: they are borrowed once per block of the
/// spool, between waits. The registry passes its request body's buffers.
public protocol UploadBytes {
    var byteCount: Int { get }
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: UploadBytes where Element == UInt8 {
    public var byteCount: Int { count }
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try withUnsafeBytes(body) }
}

extension ArraySlice: UploadBytes where Element == UInt8 {
    public var byteCount: Int { count }
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try withUnsafeBytes(body) }
}
