import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The content-addressable blob store: bytes in, by digest; bytes out, verified. It knows nothing
/// of repositories, tags or HTTP (docs/FORMAT.md has every byte it writes).
///
/// ```swift
/// let store = try await BlobStore.open(at: "./data")
/// let info = try await store.put(Array("{}".utf8))
/// try await store.read(info.digest) { chunk in … }
/// ```
///
/// Durability: every method that returns a `BlobInfo` for a new blob returns only after the
/// blob's bytes and its index record are on stable storage.
public final class BlobStore: Sendable {
    public let path: String
    public let options: BlobStoreOptions
    let directory: DataDirectory
    let lock: DirectoryLock
    let index: LiveIndex
    let publisher: IndexPublisher
    let writer: SharedPackWriter
    let packIDs: PackIDAllocator
    let uploads: Mutex<[String: UploadSession]>
    let closed = Atomic<Bool>(false)

    init(directory: DataDirectory, options: BlobStoreOptions, lock: DirectoryLock, recovered: StoreRecovery) {
        self.path = directory.root
        self.options = options
        self.directory = directory
        self.lock = lock
        self.index = recovered.index
        self.packIDs = PackIDAllocator(after: recovered.highestPackID)
        let publisher = IndexPublisher(directory: directory, index: recovered.index, deletions: recovered.deletions)
        self.publisher = publisher
        self.writer = SharedPackWriter(
            directory: directory, index: recovered.index, packIDs: packIDs, sizeLimit: options.packSizeLimit,
            onSealed: { try? await publisher.publish() })
        self.uploads = Mutex(Dictionary(uniqueKeysWithValues: recovered.uploads.map { ($0.id, $0) }))
    }

    /// Opens (creating if needed) the store in `path`, taking its lock and recovering whatever a
    /// crash left: torn tails are cut, unsealed packs sealed, uploads made resumable.
    public static func open(at path: String, options: BlobStoreOptions = .init()) async throws -> BlobStore {
        let directory = DataDirectory(root: path)
        try directory.createLayout()
        let lock = try DirectoryLock(path: directory.lock)
        do {
            let recovered = try await BlockingIO.run { try StoreRecovery(directory: directory) }
            let store = BlobStore(directory: directory, options: options, lock: lock, recovered: recovered)
            if recovered.needsPublish {
                try await store.publisher.publish()
            }
            return store
        } catch {
            lock.release()
            throw error
        }
    }

    /// Seals the open pack, publishes the index and releases the directory. Uploads stay
    /// resumable on disk, each where its last successful request left it.
    public func close() async throws {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try await checkpointUploads()
        await writer.sealOpenPack()
        try await publisher.publish()
        lock.release()
    }

    /// Until `close()`.
    public var isOpen: Bool { !closed.load(ordering: .acquiring) }

    func checkOpen() throws {
        if closed.load(ordering: .acquiring) { throw BlobStoreError.closed }
    }

    // MARK: Lookups

    public func contains(_ digest: Digest) -> Bool {
        index.lookup(digest) != nil
    }

    public func stat(_ digest: Digest) -> BlobInfo? {
        index.lookup(digest).map { BlobInfo(digest: digest, location: $0) }
    }

    /// Every blob in the store, for garbage collection and fsck.
    public func allBlobs() -> [BlobInfo] {
        index.all()
    }

    /// Bytes of the store's files (packs and their indexes, the published index, upload spools):
    /// what the data directory holds, for the administrator's page. A file removed while it is
    /// counted counts as empty.
    public func dataDirectoryBytes() throws -> UInt64 {
        var total: UInt64 = 0
        for folder in [directory.packs, directory.indexDirectory, directory.uploads] {
            for name in try FileSystem.list(folder) { total += try FileSystem.fileSize(folder + "/" + name) ?? 0 }
        }
        return total
    }

    // MARK: Reads

    /// Streams the blob's bytes (or `range` of them) to `body`, in chunks of at most one block.
    /// Every block is checked against its checksum before any of it is passed on; a mismatch
    /// throws `BlobStoreError.integrity` and nothing of that block is delivered.
    public func read(
        _ digest: Digest, range: Range<UInt64>? = nil, _ body: (UnsafeRawBufferPointer) async throws -> Void
    ) async throws {
        let (reader, range) = try openRecord(digest, range: range)
        try await reader.read(range, body)
    }

    /// Like `read`, but hands over each block unread, for the caller to read into memory of its
    /// own (`BlobBlock.read(into:)` verifies it there).
    public func readBlocks(
        _ digest: Digest, range: Range<UInt64>? = nil, _ body: (BlobBlock) async throws -> Void
    ) async throws {
        let (reader, range) = try openRecord(digest, range: range)
        try await reader.readBlocks(range, body)
    }

    /// The blob's record, opened, and the range to read (the whole blob when nil). Compaction
    /// may move a record and delete its old pack between the lookup and the open; the blob is
    /// then read from where the index points now.
    private func openRecord(_ digest: Digest, range: Range<UInt64>?) throws -> (RecordReader, Range<UInt64>) {
        var previous: BlobLocation?
        while true {
            guard let location = index.lookup(digest) else { throw BlobStoreError.blobUnknown(digest) }
            let range = range ?? 0..<location.logicalLength
            guard range.upperBound <= location.logicalLength else {
                throw BlobStoreError.rangeNotSatisfiable(size: location.logicalLength)
            }
            do {
                return (try RecordReader(path: directory.packPath(location.packID), digest: digest, location: location), range)
            } catch BlobStoreError.io(let operation, _, ENOENT) where operation == "open" && location != previous {
                previous = location
            }
        }
    }

    /// The whole blob in memory; for manifests and configs, not layers.
    public func bytes(of digest: Digest) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        try await read(digest) { bytes.append(contentsOf: $0) }
        return bytes
    }

    // MARK: Writes

    /// Whether a blob of `length` bytes is best collected and handed over whole (`put(_:)`)
    /// rather than streamed: it goes into a shared pack with group commit, with no spool file to
    /// create, read back and remove.
    public func storesWhole(length: Int) -> Bool {
        length >= 0 && UInt64(length) < options.soloThreshold
    }

    /// Stores a blob held in memory. With `expected`, the content must hash to it (in its
    /// algorithm); otherwise its sha256 digest is the name. An existing blob is not stored twice.
    @discardableResult
    public func put(_ bytes: [UInt8], expected: Digest? = nil) async throws -> BlobInfo {
        try checkOpen()
        guard UInt64(bytes.count) <= options.maxBlobSize else { throw BlobStoreError.tooLarge(limit: options.maxBlobSize) }
        let digest = Digest.of(bytes, algorithm: expected?.algorithm ?? .sha256)
        if let expected, expected != digest { throw BlobStoreError.digestMismatch(expected: expected, actual: digest) }
        if let existing = stat(digest) { return existing }
        if UInt64(bytes.count) >= options.soloThreshold {
            return try await put(expected: digest) { try await $0.write(bytes) }
        }
        return try await putShared(digest: digest, payload: bytes)
    }

    /// Appends a verified small blob to the shared pack, compressed if that pays.
    func putShared(digest: Digest, payload: [UInt8]) async throws -> BlobInfo {
        let (codec, stored) = try Self.encode(payload, compress: options.compressSmallBlobs)
        let record = RecordEncoder.blob(digest: digest, stored: stored, logicalLength: UInt64(payload.count), codec: codec)
        let location = try await writer.append(
            record, digest: digest, storedLength: UInt64(stored.count), logicalLength: UInt64(payload.count), codec: codec)
        return BlobInfo(digest: digest, location: location)
    }

    /// The payload as it will be stored: a zstd frame if that pays, else itself.
    private static func encode(_ payload: [UInt8], compress: Bool) throws -> (BlobCodec, [UInt8]) {
        // Below a kilobyte the frame header eats most of any gain, and a compression context
        // costs more than the blob.
        guard compress, payload.count >= 1024, let frame = try payload.withUnsafeBytes({ try StoredEncoding.encode($0) }).stored else {
            return (.verbatim, payload)
        }
        return (.zstd, frame)
    }

    func publishIfDue() {
        guard index.pendingClosedPacks >= options.publishAfterClosedPacks else { return }
        let publisher = self.publisher
        Task { try? await publisher.publish() }
    }
}
