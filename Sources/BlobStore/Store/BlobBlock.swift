/// One block of a blob on its way out: `count` bytes that `read(into:)` places at the start of
/// memory the caller owns, verified before it returns; `kept` are the ones inside the range asked
/// for. Reading into the caller's memory lets a server read straight into the buffer it sends
/// instead of copying each block once more.
public struct BlobBlock {
    public let count: Int
    public let kept: Range<Int>
    let source: Source

    enum Source {
        case stored(RecordReader, block: Int)
        /// Bytes of a compressed blob, already checked and decoded.
        case decoded([UInt8], Range<Int>)
    }

    /// Fills the first `count` bytes of `destination`, which must hold at least that many.
    /// Throws `BlobStoreError.integrity` if the block does not match its checksum; its bytes
    /// must then not be used.
    public func read(into destination: UnsafeMutableRawBufferPointer) throws {
        precondition(destination.count >= count, "a block of \(count) bytes does not fit in \(destination.count)")
        let target = UnsafeMutableRawBufferPointer(rebasing: destination[..<count])
        switch source {
        case .stored(let reader, let block):
            try reader.readBlock(block, into: target)
        case .decoded(let bytes, let range):
            bytes.withUnsafeBytes { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[range])) }
        }
    }
}
