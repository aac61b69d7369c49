import CXXHash

/// The per-block XXH3-64s that follow a record's payload. Reads verify a block before passing
/// any byte of it on, so a range read checks only the blocks it touches.
struct BlockTable: Equatable, Sendable {
    var checksums: [UInt64]

    /// The table of a payload held in memory.
    init(payload: UnsafeRawBufferPointer, blockShift: UInt8) {
        let blockSize = 1 << Int(blockShift)
        var checksums: [UInt64] = []
        var start = 0
        repeat {
            let end = Swift.min(start + blockSize, payload.count)
            checksums.append(Checksum.xxh3(UnsafeRawBufferPointer(rebasing: payload[start..<end])))
            start = end
        } while start < payload.count
        self.checksums = checksums
    }

    init(checksums: [UInt64]) {
        self.checksums = checksums
    }

    init(decoding bytes: [UInt8]) {
        checksums = (0..<(bytes.count / 8)).map { bytes.littleEndian(UInt64.self, at: 8 * $0) }
    }

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 * checksums.count)
        for checksum in checksums { bytes.appendLittleEndian(checksum) }
        return bytes
    }

    /// The encoded table and what the record header stores for it: the table's XXH3.
    func encodedWithChecksum() -> (bytes: [UInt8], checksum: UInt64) {
        let bytes = encoded()
        return (bytes, Checksum.xxh3(bytes))
    }
}

/// Builds a block table from bytes arriving in any chunking (an upload's body).
///
/// Unchecked Sendable: it owns a C XXH3 state, and it only ever moves between requests inside an
/// upload's `Progress`, which `UploadSession` hands to one request at a time.
final class BlockTableBuilder: @unchecked Sendable {
    let blockSize: Int
    private let state: OpaquePointer
    private var filled = 0
    private var checksums: [UInt64] = []

    init(blockShift: UInt8) {
        blockSize = 1 << Int(blockShift)
        state = XXH3_createState()
        XXH3_64bits_reset(state)
    }

    deinit { XXH3_freeState(state) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty {
            let take = Swift.min(blockSize - filled, rest.count)
            XXH3_64bits_update(state, rest.baseAddress, take)
            filled += take
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            if filled == blockSize { closeBlock() }
        }
    }

    private func closeBlock() {
        checksums.append(XXH3_64bits_digest(state))
        XXH3_64bits_reset(state)
        filled = 0
    }

    /// The table of everything fed; the last block may be short, and an empty input has one.
    func finish() -> BlockTable {
        if filled > 0 || checksums.isEmpty { closeBlock() }
        return BlockTable(checksums: checksums)
    }
}
