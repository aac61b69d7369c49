/// The state file of an upload (docs/FORMAT.md, "Upload state"): how far the spool is synced and
/// the hasher's state at exactly that point.
struct UploadState: Equatable, Sendable {
    static let magic = Array("SUPL".utf8)
    static let version: UInt16 = 1

    var algorithm: DigestAlgorithm
    var offset: UInt64
    var created: UInt64
    var hashState: [UInt8]

    init(algorithm: DigestAlgorithm, offset: UInt64, created: UInt64, hashState: [UInt8]) {
        self.algorithm = algorithm
        self.offset = offset
        self.created = created
        self.hashState = hashState
    }

    /// The spool's size once it holds what this state vouches for: the reserved head and
    /// `offset` bytes.
    var spoolSize: UInt64 { UploadSession.reservedHead + offset }

    /// Whether a spool of `size` bytes lost bytes this state vouches for. An upload with no bytes
    /// was never synced and has nothing to lose, even if its spool lost its head.
    func spoolIsShort(_ size: UInt64) -> Bool {
        offset > 0 && size < spoolSize
    }

    static func load(_ path: String) throws -> UploadState {
        let file = try SystemFile.openForReading(path)
        return try UploadState(decoding: file.read(count: Int(file.size()), at: 0), path: path)
    }

    func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.appendLittleEndian(Self.version)
        bytes.append(AlgorithmCode.code(for: algorithm))
        bytes.append(0)
        bytes.appendLittleEndian(offset)
        bytes.appendLittleEndian(created)
        bytes.appendLittleEndian(UInt32(hashState.count))
        bytes.append(contentsOf: hashState)
        bytes.appendLittleEndian(bytes.crc32(upTo: bytes.count))
        return bytes
    }

    init(decoding bytes: [UInt8], path: String) throws {
        func refuse(_ reason: String) -> BlobStoreError { .state(path: path, reason: reason) }
        guard bytes.count >= 32, Array(bytes[0..<4]) == Self.magic else { throw refuse("not an upload state file") }
        guard bytes.crc32(upTo: bytes.count - 4) == bytes.littleEndian(UInt32.self, at: bytes.count - 4) else {
            throw refuse("checksum mismatch")
        }
        guard bytes.littleEndian(UInt16.self, at: 4) == Self.version else { throw refuse("unsupported version") }
        guard let algorithm = AlgorithmCode.algorithm(for: bytes[6]) else { throw refuse("unknown algorithm \(bytes[6])") }
        let hashLength = Int(bytes.littleEndian(UInt32.self, at: 24))
        guard 28 + hashLength + 4 == bytes.count else { throw refuse("length fields disagree with the file size") }
        self.algorithm = algorithm
        self.offset = bytes.littleEndian(UInt64.self, at: 8)
        self.created = bytes.littleEndian(UInt64.self, at: 16)
        self.hashState = Array(bytes[28..<(28 + hashLength)])
    }
}
