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

