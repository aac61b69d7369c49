/// A streaming SHA-2 hash: feed bytes in any chunking, read the digest at the end, and save or
/// restore the state in between (see docs/FORMAT.md, "Hash state").
///
/// The hasher holds everything inline (chaining state, one partial block, the length), so it
/// never allocates; whole blocks go straight from the caller's buffer to the block function.
///
/// ```swift
/// var hasher = SHA256Hasher()
/// for chunk in chunks { chunk.withUnsafeBytes { hasher.update($0) } }
/// let digest = hasher.finalize()   // sha256:…
/// ```
public struct SHA2Hasher<Compressor: SHA2Compressor>: StreamingHasher {
    public let compressor: Compressor
    @usableFromInline var state: ChainingState<Compressor.Word>
    /// The partial block; 128 bytes cover the larger block size (SHA-512).
    @usableFromInline var pending: (InlineBytes64, InlineBytes64)
    @usableFromInline var pendingCount: Int
    /// Bytes fed so far, pending ones included.
    @usableFromInline var length: UInt64

    public init(compressor: Compressor) {
        self.compressor = compressor
        self.state = Compressor.initialState
        self.pending = (InlineBytes64(), InlineBytes64())
        self.pendingCount = 0
        self.length = 0
    }

    /// Number of bytes hashed so far.
    @inlinable
    public var byteCount: UInt64 { length }

    @inlinable
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var input = bytes.baseAddress, !bytes.isEmpty else { return }
        let blockSize = Compressor.blockSize
        var remaining = bytes.count
        length &+= UInt64(remaining)

        if pendingCount > 0 {
            let take = Swift.min(blockSize - pendingCount, remaining)
            let offset = pendingCount
            withUnsafeMutableBytes(of: &pending) { buffer in
                // offset + take <= blockSize <= 128, the size of `pending`.
                (buffer.baseAddress! + offset).copyMemory(from: input, byteCount: take)
            }
            pendingCount += take
            input += take
            remaining -= take
            guard pendingCount == blockSize else { return }
            compressPending()
        }

        let whole = remaining / blockSize
        if whole > 0 {
            compressor.compress(&state, input, blocks: whole)
            input += whole * blockSize
            remaining -= whole * blockSize
        }
        if remaining > 0 {
            withUnsafeMutableBytes(of: &pending) { buffer in
                // remaining < blockSize <= 128.
                buffer.baseAddress!.copyMemory(from: input, byteCount: remaining)
            }
            pendingCount = remaining
        }
    }

    /// Compresses the full pending block and empties it.
    @usableFromInline
    mutating func compressPending() {
        var block = pending
        withUnsafeBytes(of: &block) { compressor.compress(&state, $0.baseAddress!, blocks: 1) }
        pendingCount = 0
    }

    /// The digest of everything fed so far. The hasher itself is left as it was, so a caller may
    /// read a digest and go on feeding.
    public func finalize() -> Digest {
        var copy = self
        let blockSize = Compressor.blockSize
        // Padding: 0x80, zeros, then the length in bits, big-endian, in the last 8 bytes of a
        // 16-byte length field (SHA-512) or in the whole 8-byte field (SHA-256).
        let lengthField = blockSize / 8
        let bitLength = length << 3
        var tail = [UInt8](repeating: 0, count: 2 * blockSize)
        tail[0] = 0x80
        let zeros = (blockSize - (pendingCount + 1 + lengthField) % blockSize) % blockSize
        let total = 1 + zeros + lengthField
        for index in 0..<8 {
            tail[total - 1 - index] = UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(index)))
        }
        tail.withUnsafeBytes { copy.update(UnsafeRawBufferPointer(rebasing: $0[..<total])) }
        precondition(copy.pendingCount == 0, "padding must end on a block boundary")

        var bytes = [UInt8]()
        bytes.reserveCapacity(Compressor.algorithm.byteCount)
        let wordSize = Compressor.Word.bitWidth / 8
        for word in 0..<8 {
            for index in (0..<wordSize).reversed() {
                bytes.append(UInt8(truncatingIfNeeded: copy.state[word] >> (8 * index)))
            }
        }
        return Digest(algorithm: Compressor.algorithm, bytes: bytes)
    }
}

/// Streaming SHA-256, on the fastest block function this CPU has (or the one
/// `STOWAGE_SHA256` names).
public typealias SHA256Hasher = SHA2Hasher<SHA256Compressor>

/// Streaming SHA-512.
public typealias SHA512Hasher = SHA2Hasher<SHA512Compressor>

extension SHA2Hasher where Compressor == SHA256Compressor {
    public init(implementation: SHA256Implementation = .preferred) {
        self.init(compressor: SHA256Compressor(implementation: implementation))
    }

    public var implementation: SHA256Implementation { compressor.implementation }
}

extension SHA2Hasher where Compressor == SHA512Compressor {
    public init() {
        self.init(compressor: SHA512Compressor())
    }
}
