/// Little-endian fields in byte arrays: how every on-disk header is built and read.
extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendZeros(_ count: Int) {
        append(contentsOf: repeatElement(0, count: count))
    }

    /// The integer stored little-endian at `offset`.
    /// - Precondition: the field lies inside the array.
    func littleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        precondition(offset >= 0 && offset + MemoryLayout<T>.size <= count, "field at \(offset) outside \(count) bytes")
        return withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    func crc32(upTo end: Int) -> UInt32 {
        withUnsafeBytes { Checksum.crc32(UnsafeRawBufferPointer(rebasing: $0[..<end])) }
    }
}

/// The standard `withUnsafeBytes` only rethrows untyped errors; these keep a body's typed error.
extension Array where Element == UInt8 {
    func withUnsafeBytesTyped<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var result: Result<R, E>?
        withUnsafeBytes { raw in result = Result { () throws(E) -> R in try body(raw) } }
        return try result!.get()
    }

    mutating func withUnsafeMutableBytesTyped<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var result: Result<R, E>?
        withUnsafeMutableBytes { raw in result = Result { () throws(E) -> R in try body(raw) } }
        return try result!.get()
    }
}
