/// Why saved hash state was refused. A refused state means the upload that saved it cannot be
/// resumed from that point; it never yields a wrong digest.
public enum HashStateError: Error, Sendable, Equatable, CustomStringConvertible {
    case truncated(expected: Int, actual: Int)
    case badMagic
    case unsupportedVersion(UInt8)
    case wrongAlgorithm(expected: DigestAlgorithm, found: UInt8)
    case inconsistentLength(pending: Int, length: UInt64)
    case checksumMismatch

    public var description: String {
        switch self {
        case .truncated(let expected, let actual): "hash state is \(actual) bytes, expected \(expected)"
        case .badMagic: "hash state does not start with the magic 'SHST'"
        case .unsupportedVersion(let version): "hash state version \(version) is not supported"
        case .wrongAlgorithm(let expected, let found): "hash state is for algorithm \(found), expected \(expected)"
        case .inconsistentLength(let pending, let length): "hash state holds \(pending) pending bytes but a length of \(length)"
        case .checksumMismatch: "hash state checksum does not match"
        }
    }
}

/// Saving and restoring the state, in the format of docs/FORMAT.md ("Hash state"): the upload
/// state file keeps it so that an upload goes on after a restart without reading back its bytes.
extension SHA2Hasher {
    static var stateMagic: [UInt8] { Array("SHST".utf8) }
    static var stateVersion: UInt8 { 1 }
    static var algorithmCode: UInt8 { Compressor.algorithm == .sha256 ? 1 : 2 }
    static var wordSize: Int { Compressor.Word.bitWidth / 8 }

    /// The saved state: header, chaining words, pending bytes, CRC-32.
    public func exportState() -> [UInt8] {
        var out = Self.stateMagic
        out.append(Self.stateVersion)
        out.append(Self.algorithmCode)
        out.append(UInt8(pendingCount))
        out.append(0)
        out.appendLittleEndian(length)
        for word in 0..<8 {
            out.appendLittleEndian(state[word])
        }
        withUnsafeBytes(of: pending) { out.append(contentsOf: $0[..<pendingCount]) }
        out.appendLittleEndian(out.crc32(upTo: out.count))
        return out
    }

    /// A hasher that goes on from a saved state, on the given compressor (the block function
    /// is chosen by the machine that resumes, not the one that saved).
    public init(restoring saved: some Collection<UInt8>, compressor: Compressor) throws {
        let bytes = Array(saved)
        let fixed = 16 + 8 * Self.wordSize + 4
        guard bytes.count >= fixed else { throw HashStateError.truncated(expected: fixed, actual: bytes.count) }
        guard Array(bytes[0..<4]) == Self.stateMagic else { throw HashStateError.badMagic }
        guard bytes[4] == Self.stateVersion else { throw HashStateError.unsupportedVersion(bytes[4]) }
        guard bytes[5] == Self.algorithmCode else { throw HashStateError.wrongAlgorithm(expected: Compressor.algorithm, found: bytes[5]) }
        let pendingCount = Int(bytes[6])
        guard bytes.count == fixed + pendingCount else {
            throw HashStateError.truncated(expected: fixed + pendingCount, actual: bytes.count)
        }
        let body = bytes.count - 4
        guard bytes.crc32(upTo: body) == bytes.littleEndian(UInt32.self, at: body) else { throw HashStateError.checksumMismatch }
        let length = bytes.littleEndian(UInt64.self, at: 8)
        guard pendingCount < Compressor.blockSize, UInt64(pendingCount) == length % UInt64(Compressor.blockSize) else {
            throw HashStateError.inconsistentLength(pending: pendingCount, length: length)
        }

        self.init(compressor: compressor)
        for word in 0..<8 {
            state[word] = bytes.littleEndian(Compressor.Word.self, at: 16 + word * Self.wordSize)
        }
        let pendingStart = 16 + 8 * Self.wordSize
        withUnsafeMutableBytes(of: &pending) { buffer in
            for index in 0..<pendingCount {
                buffer[index] = bytes[pendingStart + index]
            }
        }
        self.pendingCount = pendingCount
        self.length = length
    }
}

extension SHA2Hasher where Compressor == SHA256Compressor {
    public init(restoring saved: some Collection<UInt8>, implementation: SHA256Implementation = .preferred) throws {
        try self.init(restoring: saved, compressor: SHA256Compressor(implementation: implementation))
    }
}

extension SHA2Hasher where Compressor == SHA512Compressor {
    public init(restoring saved: some Collection<UInt8>) throws {
        try self.init(restoring: saved, compressor: SHA512Compressor())
    }
}
