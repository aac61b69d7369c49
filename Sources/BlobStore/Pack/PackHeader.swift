/// The 32 bytes at the start of every pack file (docs/FORMAT.md, "Pack file").
struct PackHeader: Equatable, Sendable {
    enum Kind: UInt8, Sendable {
        case shared = 1
        case solo = 2
    }

    static let size = 32
    static let magic = Array("STOWPACK".utf8)
    static let version: UInt16 = 1

    var kind: Kind
    var packID: UInt64

    func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.appendLittleEndian(Self.version)
        bytes.append(kind.rawValue)
        bytes.appendZeros(5)
        bytes.appendLittleEndian(packID)
        bytes.appendZeros(4)
        bytes.appendLittleEndian(bytes.crc32(upTo: 28))
        return bytes
    }

    init(kind: Kind, packID: UInt64) {
        self.kind = kind
        self.packID = packID
    }

    init(decoding bytes: [UInt8], path: String) throws {
        guard bytes.count == Self.size, Array(bytes[0..<8]) == Self.magic else {
            throw BlobStoreError.damaged(path: path, reason: "not a pack file (bad magic)")
        }
        guard bytes.crc32(upTo: 28) == bytes.littleEndian(UInt32.self, at: 28) else {
            throw BlobStoreError.damaged(path: path, reason: "pack header checksum mismatch")
        }
        guard bytes.littleEndian(UInt16.self, at: 8) == Self.version else {
            throw BlobStoreError.damaged(path: path, reason: "unsupported pack version \(bytes.littleEndian(UInt16.self, at: 8))")
        }
        guard let kind = Kind(rawValue: bytes[10]) else {
            throw BlobStoreError.damaged(path: path, reason: "unknown pack kind \(bytes[10])")
        }
        self.kind = kind
        self.packID = bytes.littleEndian(UInt64.self, at: 16)
    }
}
