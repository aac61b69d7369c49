/// A content digest, `algorithm:hex`, as OCI names every blob and manifest.
///
/// The digest is the identity of stored content and the key everything is deduplicated on. Its
/// bytes live inline (no allocation), so digests are cheap to hash, compare and keep by the
/// million in an index.
///
/// ```swift
/// let digest = try Digest(parsing: "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
/// digest.algorithm   // .sha256
/// digest.description // the same string back
/// ```
public struct Digest: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let algorithm: DigestAlgorithm
    /// The digest bytes; only the first `algorithm.byteCount` are meaningful, the rest are zero.
    @usableFromInline
    let storage: InlineBytes64

    /// A digest from raw bytes, as a hasher produces them.
    /// - Precondition: `bytes.count == algorithm.byteCount`.
    public init(algorithm: DigestAlgorithm, bytes: some Collection<UInt8>) {
        precondition(bytes.count == algorithm.byteCount, "\(algorithm) digest needs \(algorithm.byteCount) bytes")
        var storage = InlineBytes64()
        for (index, byte) in bytes.enumerated() {
            storage[index] = byte
        }
        self.algorithm = algorithm
        self.storage = storage
    }

    /// Parses `algorithm:hex`, enforcing the OCI rules exactly: a supported algorithm in
    /// lowercase, then exactly the algorithm's length of lowercase hex digits.
    public init(parsing string: some StringProtocol) throws {
        let utf8 = string.utf8
        guard !utf8.isEmpty else { throw DigestError.empty }
        guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")) else { throw DigestError.missingSeparator }
        let name = String(string[..<colon])
        guard !name.isEmpty else { throw DigestError.emptyAlgorithm }
        guard let algorithm = DigestAlgorithm(rawValue: name) else {
            if DigestAlgorithm(rawValue: name.lowercased()) != nil { throw DigestError.uppercaseAlgorithm(name) }
            throw DigestError.unsupportedAlgorithm(name)
        }
        let encoded = utf8[utf8.index(after: colon)...]
        guard encoded.count == algorithm.hexCount else {
            throw DigestError.wrongLength(algorithm: algorithm, expected: algorithm.hexCount, actual: encoded.count)
        }
        var storage = InlineBytes64()
        var high: UInt8 = 0
        for (offset, character) in encoded.enumerated() {
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): throw DigestError.uppercaseHex(offset: offset)
            default: throw DigestError.invalidCharacter(offset: offset)
            }
            if offset & 1 == 0 {
                high = nibble << 4
            } else {
                storage[offset >> 1] = high | nibble
            }
        }
        self.algorithm = algorithm
        self.storage = storage
    }

    /// The digest bytes, `algorithm.byteCount` of them.
    public var bytes: [UInt8] {
        (0..<algorithm.byteCount).map { storage[$0] }
    }

    /// Calls `body` with the digest bytes without copying them to the heap.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var copy = storage
        return try Swift.withUnsafeBytes(of: &copy) { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[..<algorithm.byteCount]))
        }
    }

    /// The encoded value: lowercase hex, without the algorithm.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: algorithm.hexCount) { buffer in
            for index in 0..<algorithm.byteCount {
                buffer[2 * index] = digits[Int(storage[index] >> 4)]
                buffer[2 * index + 1] = digits[Int(storage[index] & 0x0f)]
            }
            return algorithm.hexCount
        }
    }

    public var description: String { "\(algorithm.rawValue):\(hex)" }

    /// Orders by algorithm, then by bytes: the order an index sorts digests in.
    public static func < (lhs: Digest, rhs: Digest) -> Bool {
        if lhs.algorithm != rhs.algorithm { return lhs.algorithm < rhs.algorithm }
        for index in 0..<lhs.algorithm.byteCount where lhs.storage[index] != rhs.storage[index] {
            return lhs.storage[index] < rhs.storage[index]
        }
        return false
    }
}

extension Digest: LosslessStringConvertible {
    /// Parses a digest, or returns nil; use `init(parsing:)` to learn why a string was refused.
    public init?(_ description: String) {
        guard let digest = try? Digest(parsing: description) else { return nil }
        self = digest
    }
}

extension Digest: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = try Digest(parsing: container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
