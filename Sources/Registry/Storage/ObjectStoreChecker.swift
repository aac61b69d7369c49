import BlobStore
import NIOCore
import ObjectStore

/// `stowage-fsck` on a cluster store: every row of `object_blobs` against the bucket, at the
/// levels of the engine's check (structure: objects exist with the right size and sidecar; scrub:
/// every block against its checksum; verify: every digest), objects no row names, multipart
/// uploads nothing names. It only reads; `repair` then mends what it found, and never deletes
/// an object: a row whose object is lost or damaged is dropped (the references check then drops
/// what named the blob), an object with a sound sidecar whose bytes verify gets its row back.
public struct ObjectStoreChecker: Sendable {
    public var level: CheckLevel = .structure
    let store: ObjectBlobStore

    public init(store: ObjectBlobStore) {
        self.store = store
    }

    public func run() async throws -> ObjectStoreReport {
        var report = ObjectStoreReport()
        let rows = try await store.index.entries()
        let objects = Dictionary(
            try await store.client.allObjects(prefix: "blobs/").map { ($0.key, $0.size) }, uniquingKeysWith: { first, _ in first })
        var named = Set<String>()
        for row in rows {
            report.blobs += 1
            report.bytes += row.size
            if let object = row.object {
                named.formUnion([object, object + ".sums"])
                try await check(object: object, of: row, size: objects[object], sidecarPresent: objects[object + ".sums"] != nil, into: &report)
            } else {
                report.inlineBlobs += 1
                try await checkContent(of: row, into: &report)
            }
        }
        let uploads = try await store.uploads.objectKeys()
        for (key, size) in objects.sorted(by: { $0.key < $1.key }) where !named.contains(key) {
            let owner = key.hasSuffix(".sums") ? String(key.dropLast(5)) : key
            guard !uploads.contains(owner) else { continue }
            report.add(.objectUnreferenced, key: key, "\(size) bytes that no blob names")
            if !key.hasSuffix(".sums") { report.unreferenced.append(key) }
        }
        let live = try await store.uploads.multipartIDs()
        for upload in try await store.client.multipartUploads(prefix: "blobs/") where !live.contains(upload.uploadID) {
            report.add(.multipartAbandoned, key: upload.key, "multipart upload \(upload.uploadID) begun \(upload.initiated)")
            report.abandonedMultipart.append(upload)
        }
        report.present = Set(rows.map(\.digest)).subtracting(report.dropped)
        return report
    }

    private func check(
        object: String, of row: ObjectBlobIndex.Entry, size: UInt64?, sidecarPresent: Bool, into report: inout ObjectStoreReport
    ) async throws {
        report.objects += 1
        guard let size else {
            report.add(.objectMissing, row.digest, key: object, "the bucket has no such object")
            report.dropped.insert(row.digest)
            return
        }
        guard size == row.size else {
            report.add(.objectWrongSize, row.digest, key: object, "\(size) bytes, the blob has \(row.size)")
            report.dropped.insert(row.digest)
            return
        }
        if !sidecarPresent {
            report.add(.sidecarBad, row.digest, key: object + ".sums", "missing")
            report.missingSidecars.append(row.digest)
        } else if let full = try await store.index.lookup(row.digest) {
            let sidecar = ChecksumSidecar.decode(Array(buffer: try await store.client.objectBytes(object + ".sums")))
            if sidecar?.digest != row.digest || sidecar?.size != row.size || sidecar?.checksums != full.checksums {
                report.add(.sidecarBad, row.digest, key: object + ".sums", "does not match the blob's row")
                report.missingSidecars.append(row.digest)
            }
        }
        try await checkContent(of: row, into: &report)
    }

    /// At scrub, every block through the store's own checked read; at verify, the digest too.
    private func checkContent(of row: ObjectBlobIndex.Entry, into report: inout ObjectStoreReport) async throws {
        guard level > .structure else { return }
        do {
            let actual = try await store.digest(of: row.digest, hashing: level == .verify)
            if let actual, actual != row.digest {
                report.add(.blobCorrupt, row.digest, key: row.object, "its bytes hash to \(actual)")
                report.dropped.insert(row.digest)
            }
        } catch let error as BlobStoreError {
            report.add(.blobCorrupt, row.digest, key: row.object, "\(error)")
            report.dropped.insert(row.digest)
        }
    }

    /// Mends what `report` found: rows of lost or damaged blobs dropped, rows rebuilt from the
    /// sidecars of unreferenced objects whose bytes verify, missing sidecars written again,
    /// abandoned multipart uploads aborted.
    public func repair(_ report: ObjectStoreReport) async throws -> ObjectStoreReport.Repair {
        var repair = ObjectStoreReport.Repair()
        if !report.dropped.isEmpty {
            repair.rowsDropped = try await store.index.delete(Array(report.dropped)).map(\.digest)
        }
        for key in report.unreferenced {
            guard let sidecar = try? ChecksumSidecar.decode(Array(buffer: await store.client.objectBytes(key + ".sums"))) else { continue }
            let row = ObjectBlobRow(digest: sidecar.digest, size: sidecar.size, object: key, inline: nil, checksums: sidecar.checksums)
            guard try await store.verify(row), try await store.index.insert(row, finishing: nil) else { continue }
            repair.rowsRebuilt.append(sidecar.digest)
        }
        for digest in report.missingSidecars where !report.dropped.contains(digest) {
            guard let row = try await store.index.lookup(digest), let object = row.object else { continue }
            try await store.client.deleteObject(object + ".sums")
            try await store.client.putObject(object + ".sums", body: ByteBuffer(bytes: ChecksumSidecar.encode(row)))
            repair.sidecarsWritten.append(digest)
        }
        for upload in report.abandonedMultipart {
            try await store.client.abortMultipartUpload(upload.key, uploadID: upload.uploadID)
            repair.multipartAborted += 1
        }
        return repair
    }
}

public struct ObjectStoreReport: Sendable {
    public var blobs = 0
    public var inlineBlobs = 0
    public var objects = 0
    public var bytes: UInt64 = 0
    public var findings: [ObjectStoreFinding] = []
    /// The blobs found good: what the references check may count on.
    public var present = Set<Digest>()
    var dropped = Set<Digest>()
    var unreferenced: [String] = []
    var missingSidecars: [Digest] = []
    var abandonedMultipart: [S3MultipartUpload] = []

    mutating func add(_ kind: ObjectStoreFinding.Kind, _ digest: Digest? = nil, key: String?, _ detail: String) {
        findings.append(ObjectStoreFinding(kind: kind, digest: digest?.description, key: key, detail: detail))
    }

    public struct Repair: Sendable, Codable {
        public var rowsDropped: [Digest] = []
        public var rowsRebuilt: [Digest] = []
        public var sidecarsWritten: [Digest] = []
        public var multipartAborted = 0

        public var isEmpty: Bool { rowsDropped.isEmpty && rowsRebuilt.isEmpty && sidecarsWritten.isEmpty && multipartAborted == 0 }
    }
}

/// The cluster's good blobs, read through the store (every block checked), for the references check.
public struct ObjectStoreContents: BlobContents {
    let store: ObjectBlobStore
    let present: Set<Digest>

    public init(store: ObjectBlobStore, report: ObjectStoreReport) {
        self.store = store
        present = report.present
    }

    public func contains(_ digest: Digest) -> Bool { present.contains(digest) }

    public func bytes(of digest: Digest) async throws -> [UInt8] {
        try await store.bytes(of: digest)
    }

    public func uncompressedDigest(of digest: Digest) async throws -> Digest {
        var digester = LayerDigester()
        let size = try await store.stat(digest)?.size ?? 0
        try await store.read(digest, range: 0..<size, allocator: ByteBufferAllocator()) { buffer in
            try buffer.withUnsafeReadableBytes { try digester.update($0) }
        }
        return try digester.finish().diffID
    }
}
