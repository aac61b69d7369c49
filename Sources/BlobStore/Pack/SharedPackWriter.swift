#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends small blobs to the open shared pack with group commit: while one fdatasync runs, new
/// records pile up behind it and share the next one, so sixteen writers cost about as many
/// syncs as one. No record is acknowledged (or indexed) before a sync that covers it returns;
/// a failed sync fails every record it was meant to cover and retires the pack.
actor SharedPackWriter {
    private final class OpenPack {
        let id: UInt64
        let file: SystemFile
        var tail = UInt64(PackHeader.size)
        var syncing = false
        /// Set once the size limit is passed or a write failed: nothing more is appended.
        var closed = false
        var retired = false
        var waiters: [Waiter] = []
        var entries: [(Digest, BlobLocation)] = []

        init(id: UInt64, file: SystemFile) {
            self.id = id
            self.file = file
        }
    }

    private struct Waiter {
        let end: UInt64
        let digest: Digest
        let location: BlobLocation
        let replacing: BlobLocation?
        let continuation: CheckedContinuation<BlobLocation, any Error>
    }

    private let directory: DataDirectory
    private let index: LiveIndex
    private let packIDs: PackIDAllocator
    private let sizeLimit: UInt64
    private let onSealed: @Sendable () async -> Void
    private var current: OpenPack?
    private var packs: [UInt64: OpenPack] = [:]
    /// Callers of `waitForSeals`, resumed when the last seal in progress ends.
    private var sealWaiters: [CheckedContinuation<Void, Never>] = []
    /// fdatasyncs issued for records, for tests and metrics: with group commit it grows slower
    /// than the number of records.
    private(set) var syncCount = 0

    init(directory: DataDirectory, index: LiveIndex, packIDs: PackIDAllocator, sizeLimit: UInt64,
         onSealed: @escaping @Sendable () async -> Void) {
        self.directory = directory
        self.index = index
        self.packIDs = packIDs
        self.sizeLimit = sizeLimit
        self.onSealed = onSealed
    }

    /// Appends a record and returns once it is durable and indexed. If the digest was indexed
    /// meanwhile (a concurrent push of the same blob) the location in force is returned. A copy
    /// made by compaction names the location it `replaces`: the index moves to the copy if it
    /// still points there, and the copy's location is returned either way.
    @discardableResult
    func append(
        _ record: [UInt8], digest: Digest, storedLength: UInt64, logicalLength: UInt64, codec: BlobCodec,
        replacing: BlobLocation? = nil
    ) async throws -> BlobLocation {
        let pending = try write(record, digest: digest, storedLength: storedLength, logicalLength: logicalLength, codec: codec)
        return try await withCheckedThrowingContinuation { continuation in
            enqueue(pending, replacing: replacing, continuation)
        }
    }

    /// A record written but not yet synced.
    private struct Pending {
        let packID: UInt64
        let end: UInt64
        let digest: Digest
        let location: BlobLocation
    }

    private func write(_ record: [UInt8], digest: Digest, storedLength: UInt64, logicalLength: UInt64, codec: BlobCodec)
        throws -> Pending
    {
        let pack = try openPack()
        let offset = pack.tail
        do {
            try pack.file.write(record, at: offset)
        } catch {
            retire(pack, error: error)
            throw error
        }
        pack.tail += UInt64(record.count)
        let location = BlobLocation(
            packID: pack.id, offset: offset, storedLength: storedLength, logicalLength: logicalLength, codec: codec)
        pack.entries.append((digest, location))
        if pack.tail >= sizeLimit {
            pack.closed = true
            current = nil
        }
        return Pending(packID: pack.id, end: pack.tail, digest: digest, location: location)
    }

    /// Joins the next group sync of the record's pack, starting one if none is running.
    private func enqueue(_ pending: Pending, replacing: BlobLocation?, _ continuation: CheckedContinuation<BlobLocation, any Error>) {
        guard let pack = packs[pending.packID] else {
            continuation.resume(throwing: BlobStoreError.syncFailed(path: directory.packPath(pending.packID), code: 0))
            return
        }
        pack.waiters.append(Waiter(
            end: pending.end, digest: pending.digest, location: pending.location, replacing: replacing, continuation: continuation))
        if !pack.syncing {
            pack.syncing = true
            let id = pack.id
            Task { await self.syncLoop(id) }
        }
    }

    private func openPack() throws -> OpenPack {
        if let current, !current.closed { return current }
        let id = packIDs.allocate()
        let path = directory.packPath(id)
        let file = try SystemFile.open(path, flags: O_RDWR | O_CREAT | O_EXCL)
        try file.write(PackHeader(kind: .shared, packID: id).encoded(), at: 0)
        // The new name must be durable before any record in the file is acknowledged.
        try FileSystem.syncDirectory(directory.packs)
        let pack = OpenPack(id: id, file: file)
        index.markOpen(id)
        packs[id] = pack
        current = pack
        return pack
    }

    private func syncLoop(_ id: UInt64) async {
        guard let pack = packs[id] else { return }
        while !pack.waiters.isEmpty {
            // Appends already queued on this actor join this sync rather than wait for the next.
            await Task.yield()
            let target = pack.tail
            let file = pack.file
            syncCount += 1
            do {
                try await BlockingIO.run { try file.sync() }
            } catch {
                retire(pack, error: error)
                return
            }
            let ready = pack.waiters.filter { $0.end <= target }
            pack.waiters.removeAll { $0.end <= target }
            for waiter in ready {
                if let old = waiter.replacing {
                    index.relocate(waiter.digest, from: old, to: waiter.location)
                    waiter.continuation.resume(returning: waiter.location)
                } else {
                    waiter.continuation.resume(returning: index.insert(waiter.digest, waiter.location))
                }
            }
        }
        pack.syncing = false
        if pack.closed && !pack.retired {
            await seal(pack)
        }
    }

    /// Stops appending to `pack` and fails every record that has not been acknowledged. The
    /// file stays as it is; the next open scans it, keeps what is whole and seals it.
    private func retire(_ pack: OpenPack, error: any Error) {
        pack.closed = true
        pack.retired = true
        if current === pack { current = nil }
        for waiter in pack.waiters {
            waiter.continuation.resume(throwing: error)
        }
        pack.waiters.removeAll()
        pack.syncing = false
        forget(pack)
    }

    /// Writes the seal record and the pack's own index, then lets the published index take it.
    private func seal(_ pack: OpenPack) async {
        let seal = RecordEncoder.seal(recordCount: pack.entries.count, at: pack.tail)
        let file = pack.file
        let tail = pack.tail
        let indexPath = directory.packIndexPath(pack.id)
        let indexBytes = IndexFile.encode(entries: pack.entries, coveredPacks: [pack.id])
        do {
            try await BlockingIO.run {
                try file.write(seal, at: tail)
                try file.sync()
                try FileSystem.replace(indexPath, with: indexBytes)
            }
        } catch {
            retire(pack, error: error)
            return
        }
        pack.tail += UInt64(seal.count)
        index.markClosed(pack.id)
        forget(pack)
        await onSealed()
    }

    /// Returns once every pack that was closed (full, or sealed on request) has been sealed
    /// and handed to the index. A writer resumes as soon as its record is synced, while the
    /// seal of the pack it filled may still be running; compaction must not take that pack for
    /// an open one.
    func waitForSeals() async {
        guard sealing else { return }
        await withCheckedContinuation { sealWaiters.append($0) }
    }

    /// Whether a pack that was closed has yet to be sealed (or retired).
    private var sealing: Bool {
        packs.values.contains { $0 !== current && $0.closed && !$0.retired }
    }

    /// Drops a sealed or retired pack, and wakes the callers of `waitForSeals` once none is left.
    private func forget(_ pack: OpenPack) {
        packs[pack.id] = nil
        guard !sealing else { return }
        let waiters = sealWaiters
        sealWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    /// Seals the open pack (once its records are synced); the next record starts a new one. A
    /// clean shutdown does it so that nothing is left to recover, and compaction so that a pack
    /// mostly dead need not wait until it fills up.
    func sealOpenPack() async {
        if let pack = current {
            current = nil
            pack.closed = true
            if !pack.syncing && !pack.retired {
                await seal(pack)
            }
        }
        // A pack whose sync is running is sealed when the sync ends: that seal too must be done
        // before a caller takes the pack for closed (compaction) or publishes (close).
        await waitForSeals()
    }
}
