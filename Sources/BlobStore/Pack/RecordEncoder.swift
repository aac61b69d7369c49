/// Builds complete records (header, payload, block table) for the shared-pack writer.
enum RecordEncoder {
    /// A blob record of a payload held in memory.
    static func blob(digest: Digest, stored: [UInt8], logicalLength: UInt64, codec: BlobCodec) -> [UInt8] {
        record(kind: .blob, digest: digest, payload: stored, logicalLength: logicalLength, codec: codec)
    }

    /// The record that closes a shared pack: the number of blob records and its own offset.
    static func seal(recordCount: Int, at offset: UInt64) -> [UInt8] {
        var payload: [UInt8] = []
        payload.appendLittleEndian(UInt64(recordCount))
        payload.appendLittleEndian(offset)
        return record(kind: .seal, digest: nil, payload: payload, logicalLength: UInt64(payload.count), codec: .verbatim)
    }

    private static func record(kind: RecordHeader.Kind, digest: Digest?, payload: [UInt8], logicalLength: UInt64, codec: BlobCodec) -> [UInt8] {
        let table = payload.withUnsafeBytes { BlockTable(payload: $0, blockShift: RecordHeader.defaultBlockShift) }.encodedWithChecksum()
        let header = RecordHeader(
            kind: kind, digest: digest, codec: codec, storedLength: UInt64(payload.count),
            logicalLength: logicalLength, tableChecksum: table.checksum)
        var bytes = header.encoded()
        bytes.reserveCapacity(Int(header.recordLength))
        bytes.append(contentsOf: payload)
        bytes.append(contentsOf: table.bytes)
        return bytes
    }
}
