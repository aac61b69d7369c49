/// The blobs a check found good, by digest, and their bytes read straight from the packs (every
/// block verified on the way) without opening the store: what the references check reads
/// manifests and layers through.
public struct StoreContents: Sendable {
    let directory: DataDirectory
    let locations: [Digest: BlobLocation]

    public func contains(_ digest: Digest) -> Bool {
        locations[digest] != nil
    }

    public var count: Int { locations.count }

    /// The blob's size as pushed.
    public func size(of digest: Digest) -> UInt64? {
        locations[digest]?.logicalLength
    }

    /// Streams the blob's bytes to `body`.
    public func read(_ digest: Digest, _ body: (UnsafeRawBufferPointer) async throws -> Void) async throws {
        guard let location = locations[digest] else { throw BlobStoreError.blobUnknown(digest) }
        let reader = try RecordReader(path: directory.packPath(location.packID), digest: digest, location: location)
        try await reader.read(0..<location.logicalLength, body)
    }

    /// The whole blob in memory; for manifests and configs.
    public func bytes(of digest: Digest) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        try await read(digest) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// The SHA-256 of the blob's uncompressed stream: a layer's diff_id.
    public func uncompressedDigest(of digest: Digest) async throws -> Digest {
        var digester = LayerDigester()
        try await read(digest) { try digester.update($0) }
        return try digester.finish().diffID
    }
}
