/// Records taken out of service by `stowage-fsck --repair` (docs/FORMAT.md, "Quarantine list"):
/// never indexed again, their bytes left in place.
struct QuarantineList: Equatable, Sendable {
    enum Reason: UInt8, Sendable, CustomStringConvertible {
        case framing = 1
        case blockTable = 2
        case payloadChecksum = 3
        case digestMismatch = 4
        case undecodable = 5
        case truncated = 6

        var description: String {
            switch self {
            case .framing: "damaged record header or framing"
            case .blockTable: "damaged block table"
            case .payloadChecksum: "payload block fails its checksum"
            case .digestMismatch: "payload does not match its digest"
            case .undecodable: "payload does not decode"
            case .truncated: "record cut off by a truncation"
            }
        }
    }

    struct Entry: Equatable, Hashable, Sendable {
        var packID: UInt64
        var offset: UInt64
        var length: UInt64
        var reason: Reason
        /// The record is a solo pack's only one: the whole pack is out of service.
        var wholePack: Bool
        var digest: Digest?
    }

    static let magic = Array("STOWQRN1".utf8)
    static let version: UInt16 = 1
    static let entrySize = 96

    private(set) var entries: [Entry]
    private let keys: Set<Key>
    /// Packs out of service whole; opening asks for every pack it recovers.
    private let wholePacks: Set<UInt64>

    private struct Key: Hashable {
        let packID: UInt64
        let offset: UInt64
    }

    init(entries: [Entry] = []) {
        self.entries = entries.sorted { ($0.packID, $0.offset) < ($1.packID, $1.offset) }
        keys = Set(entries.map { Key(packID: $0.packID, offset: $0.offset) })
        wholePacks = Set(entries.filter(\.wholePack).map(\.packID))
    }

    /// The list in `directory`, empty if there is none.
    static func load(_ directory: DataDirectory) throws -> QuarantineList {
        guard FileSystem.exists(directory.quarantine) else { return QuarantineList() }
        let file = try SystemFile.openForReading(directory.quarantine)
        return try QuarantineList(decoding: file.read(count: Int(file.size()), at: 0), path: directory.quarantine)
    }

    func contains(packID: UInt64, offset: UInt64) -> Bool {
        keys.contains(Key(packID: packID, offset: offset))
    }

    func holdsWholePack(_ packID: UInt64) -> Bool {
        wholePacks.contains(packID)
    }

    /// This list and `more`, an entry of the same record replaced by the newer one.
    func adding(_ more: [Entry]) -> QuarantineList {
        let replaced = Set(more.map { Key(packID: $0.packID, offset: $0.offset) })
        return QuarantineList(entries: entries.filter { !replaced.contains(Key(packID: $0.packID, offset: $0.offset)) } + more)
    }

    func keeping(packs: Set<UInt64>) -> QuarantineList {
        QuarantineList(entries: entries.filter { packs.contains($0.packID) })
    }

    func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.appendLittleEndian(Self.version)
        bytes.appendZeros(2)
        bytes.appendLittleEndian(UInt32(entries.count))
        for entry in entries {
            bytes.appendLittleEndian(entry.packID)
            bytes.appendLittleEndian(entry.offset)
            bytes.appendLittleEndian(entry.length)
            bytes.append(entry.reason.rawValue)
            bytes.append(entry.wholePack ? 1 : 0)
            bytes.append(entry.digest.map { AlgorithmCode.code(for: $0.algorithm) } ?? 0)
            bytes.appendZeros(5)
            let start = bytes.count
            entry.digest?.withUnsafeBytes { bytes.append(contentsOf: $0) }
            bytes.appendZeros(64 - (bytes.count - start))
        }
        bytes.appendLittleEndian(bytes.crc32(upTo: bytes.count))
        return bytes
    }

    init(decoding bytes: [UInt8], path: String) throws {
        func damaged(_ reason: String) -> BlobStoreError { .damaged(path: path, reason: reason) }
        guard bytes.count >= 20, Array(bytes[0..<8]) == Self.magic else { throw damaged("not a quarantine list") }
        guard bytes.crc32(upTo: bytes.count - 4) == bytes.littleEndian(UInt32.self, at: bytes.count - 4) else {
            throw damaged("quarantine list checksum mismatch")
        }
        guard bytes.littleEndian(UInt16.self, at: 8) == Self.version else { throw damaged("unsupported quarantine list version") }
        let count = Int(bytes.littleEndian(UInt32.self, at: 12))
        guard bytes.count == 20 + count * Self.entrySize else { throw damaged("quarantine list length disagrees with its count") }
        var entries: [Entry] = []
        for index in 0..<count {
            let base = 16 + index * Self.entrySize
            guard let reason = Reason(rawValue: bytes[base + 24]) else { throw damaged("unknown quarantine reason \(bytes[base + 24])") }
            let code = bytes[base + 26]
            var digest: Digest?
            if code != 0 {
                guard let algorithm = AlgorithmCode.algorithm(for: code) else { throw damaged("unknown digest algorithm \(code)") }
                digest = Digest(algorithm: algorithm, bytes: bytes[(base + 32)..<(base + 32 + algorithm.byteCount)])
            }
            entries.append(Entry(
                packID: bytes.littleEndian(UInt64.self, at: base), offset: bytes.littleEndian(UInt64.self, at: base + 8),
                length: bytes.littleEndian(UInt64.self, at: base + 16), reason: reason, wholePack: bytes[base + 25] & 1 != 0,
                digest: digest))
        }
        self.init(entries: entries)
    }
}
