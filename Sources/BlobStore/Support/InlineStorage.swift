/// 64 bytes held inline, as four 16-byte vectors: a digest's bytes, half a SHA-512 block.
///
/// Not `SIMD64<UInt8>`: LLVM gives a 64-byte vector 64-byte alignment while Swift and the task
/// allocator give 16, and under Swift 6.3 async frames holding one were laid out past the end of
/// their allocation (AddressSanitizer: heap-buffer-overflow just after an async context). Vectors
/// of 16 bytes agree on both sides.
@usableFromInline
struct InlineBytes64: Hashable, Sendable {
    @usableFromInline var v0 = SIMD16<UInt8>(), v1 = SIMD16<UInt8>(), v2 = SIMD16<UInt8>(), v3 = SIMD16<UInt8>()

    @usableFromInline
    init() {}

    /// All 64 bytes in one call: SIMD's own hashing feeds the hasher one byte at a time, and
    /// digests are hashed on every index lookup and all through garbage collection's sets.
    @inlinable
    func hash(into hasher: inout Hasher) {
        withUnsafeBytes(of: self) { hasher.combine(bytes: $0) }
    }

    /// - Precondition: `0 <= index < 64`.
    @inlinable
    subscript(index: Int) -> UInt8 {
        get {
            precondition(index >= 0 && index < 64)
            return withUnsafeBytes(of: self) { $0[index] }
        }
        set {
            precondition(index >= 0 && index < 64)
            withUnsafeMutableBytes(of: &self) { $0[index] = newValue }
        }
    }
}

/// H0..H7 of a SHA-2 hash: eight words inline, H0 first, the layout the C block functions take.
/// A tuple rather than `SIMD8<Word>`, for the reason `InlineBytes64` gives.
public struct ChainingState<Word: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable {
    @usableFromInline var words: (Word, Word, Word, Word, Word, Word, Word, Word)

    public init(_ h0: Word, _ h1: Word, _ h2: Word, _ h3: Word, _ h4: Word, _ h5: Word, _ h6: Word, _ h7: Word) {
        words = (h0, h1, h2, h3, h4, h5, h6, h7)
    }

    /// - Precondition: `0 <= index < 8`.
    @inlinable
    public subscript(index: Int) -> Word {
        get {
            precondition(index >= 0 && index < 8)
            return withUnsafeBytes(of: words) { $0.load(fromByteOffset: index * MemoryLayout<Word>.stride, as: Word.self) }
        }
        set {
            precondition(index >= 0 && index < 8)
            withUnsafeMutableBytes(of: &words) { $0.storeBytes(of: newValue, toByteOffset: index * MemoryLayout<Word>.stride, as: Word.self) }
        }
    }

    /// Calls `body` with a pointer to the eight words.
    @inlinable
    public mutating func withWords<R>(_ body: (UnsafeMutablePointer<Word>) throws -> R) rethrows -> R {
        try withUnsafeMutableBytes(of: &words) { try body($0.baseAddress!.assumingMemoryBound(to: Word.self)) }
    }
}
