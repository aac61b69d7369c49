/// The 128-byte header framing every record in a pack (docs/FORMAT.md, "Record").
struct RecordHeader: Equatable, Sendable {
    enum Kind: UInt8, Sendable {
        case blob = 1
        case seal = 2
    }

    static let size = 128
    static let magic = Array("SREC".utf8)
    static let defaultBlockShift: UInt8 = 20

    var kind: Kind
    /// nil for a seal record.
    var digest: Digest?
    var codec: BlobCodec
    var blockShift: UInt8
    var storedLength: UInt64
    var logicalLength: UInt64
    var tableChecksum: UInt64

    var blockSize: UInt64 { 1 << UInt64(blockShift) }

    /// Number of entries in the block table: at least one, even for an empty payload.
    var blockCount: Int { Self.blockCount(storedLength: storedLength, blockShift: blockShift) }

    static func blockCount(storedLength: UInt64, blockShift: UInt8) -> Int {
        Swift.max(1, Int((storedLength + (1 << UInt64(blockShift)) - 1) >> UInt64(blockShift)))
    }

    /// Header, payload and block table.
    var recordLength: UInt64 { Self.recordLength(storedLength: storedLength, blockShift: blockShift) }

    static func recordLength(storedLength: UInt64, blockShift: UInt8 = defaultBlockShift) -> UInt64 {
        UInt64(size) + storedLength + UInt64(8 * blockCount(storedLength: storedLength, blockShift: blockShift))
    }

    func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.append(kind.rawValue)
        bytes.append(digest.map { AlgorithmCode.code(for: $0.algorithm) } ?? 0)
        bytes.append(codec.rawValue)
        bytes.append(blockShift)
        bytes.appendLittleEndian(storedLength)
        bytes.appendLittleEndian(logicalLength)
        bytes.appendLittleEndian(tableChecksum)
        if let digest {
            digest.withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        bytes.appendZeros(124 - bytes.count)
        bytes.appendLittleEndian(bytes.crc32(upTo: 124))
        return bytes
    }

    init(
        kind: Kind, digest: Digest?, codec: BlobCodec, blockShift: UInt8 = Self.defaultBlockShift,
        storedLength: UInt64, logicalLength: UInt64, tableChecksum: UInt64
    ) {
        self.kind = kind
        self.digest = digest
        self.codec = codec
        self.blockShift = blockShift
        self.storedLength = storedLength
        self.logicalLength = logicalLength
        self.tableChecksum = tableChecksum
    }

    /// Decodes and checks a header; the error says what is wrong, for fsck and the open scan.
    init(decoding bytes: [UInt8]) throws {
        guard bytes.count == Self.size else { throw RecordHeaderError.short }
        guard Array(bytes[0..<4]) == Self.magic else { throw RecordHeaderError.badMagic }
        guard bytes.crc32(upTo: 124) == bytes.littleEndian(UInt32.self, at: 124) else { throw RecordHeaderError.checksumMismatch }
        guard let kind = Kind(rawValue: bytes[4]) else { throw RecordHeaderError.invalidField("kind \(bytes[4])") }
        guard let codec = BlobCodec(rawValue: bytes[6]) else { throw RecordHeaderError.invalidField("codec \(bytes[6])") }
        guard (10...30).contains(bytes[7]) else { throw RecordHeaderError.invalidField("block shift \(bytes[7])") }
        self.kind = kind
        self.codec = codec
        self.blockShift = bytes[7]
        self.storedLength = bytes.littleEndian(UInt64.self, at: 8)
        self.logicalLength = bytes.littleEndian(UInt64.self, at: 16)
        self.tableChecksum = bytes.littleEndian(UInt64.self, at: 24)
        switch kind {
        case .seal:
            self.digest = nil
        case .blob:
            guard let algorithm = AlgorithmCode.algorithm(for: bytes[5]) else { throw RecordHeaderError.invalidField("algorithm \(bytes[5])") }
            self.digest = Digest(algorithm: algorithm, bytes: bytes[32..<(32 + algorithm.byteCount)])
        }
    }
}

enum RecordHeaderError: Error, Equatable, CustomStringConvertible {
    case short
    case badMagic
    case checksumMismatch
    case invalidField(String)

    var description: String {
        switch self {
        case .short: "record header is cut off"
        case .badMagic: "no record magic"
        case .checksumMismatch: "record header checksum mismatch"
        case .invalidField(let field): "record header has an invalid \(field)"
        }
    }
}

/// The one-byte algorithm codes the binary formats use.
enum AlgorithmCode {
    static func code(for algorithm: DigestAlgorithm) -> UInt8 {
        switch algorithm {
        case .sha256: 1
        case .sha512: 2
        }
    }

    static func algorithm(for code: UInt8) -> DigestAlgorithm? {
        switch code {
        case 1: .sha256
        case 2: .sha512
        default: nil
        }
    }
}
