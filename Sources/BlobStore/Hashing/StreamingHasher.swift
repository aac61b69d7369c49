/// What the engine needs of a hasher: bytes in, in any chunking; a digest out; state that can be
/// saved between requests. SHA-256, SHA-512 and the algorithm-erased `DigestHasher` all stream
/// the same way through it.
public protocol StreamingHasher: Sendable {
    mutating func update(_ bytes: UnsafeRawBufferPointer)
    /// The digest of everything fed so far; the hasher may go on being fed.
    func finalize() -> Digest
    /// The state as bytes (docs/FORMAT.md, "Hash state").
    func exportState() -> [UInt8]
}

extension StreamingHasher {
    @inlinable
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }
}
