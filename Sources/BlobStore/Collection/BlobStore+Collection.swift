#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The engine's half of garbage collection: it forgets blobs it is told are garbage and gives
/// back their space. Which blobs are garbage is the caller's business (the registry marks them
/// from its metadata); the engine only guarantees that nothing it still indexes is lost.
///
/// `remove` only drops index entries, in memory; `compact` gives the space back, with one
/// publication for all that happened since. A crash before that publication brings removed
/// entries back: garbage the next collection finds once more, nothing indexed is ever lost. The
/// publication names every record it leaves out in the deletion list first, and pack files go
/// only after it: a crash between the two leaves packs the published index does not cover, which
/// the next open indexes again without the records the list names (docs/FORMAT.md, "Deletion
/// list"), and a repair by stowage-fsck leaves them out too.
extension BlobStore {
    /// Drops the digests from the index. Their records stay on disk until `compact` deletes
    /// the packs left without a live record and copies the live ones out of mostly dead packs.
    @discardableResult
    public func remove(_ digests: [Digest]) -> RemovalResult {
        var result = RemovalResult()
        for digest in digests {
            guard let location = index.remove(digest) else { continue }
            result.blobs += 1
            result.bytes += location.logicalLength
        }
        return result
    }

    /// How full each pack that holds a live record is: the base of compaction's choice. With
    /// `includingOpen`, the shared pack still being appended to is counted too.
    public func packUsage(includingOpen: Bool = false) async throws -> [PackUsage] {
        try await packUsage(of: index.entries(), includingOpen: includingOpen)
    }

    /// `packUsage` over a snapshot of the index's entries.
    private func packUsage(of entries: [(Digest, BlobLocation)], includingOpen: Bool) async throws -> [PackUsage] {
        let open = index.openPacks
        // An open pack whose records were all removed is still worth sealing and deleting.
        var usage: [UInt64: PackUsage] = includingOpen ? Dictionary(uniqueKeysWithValues: open.map { ($0, PackUsage(packID: $0)) }) : [:]
        for (_, location) in entries where includingOpen || !open.contains(location.packID) {
            usage[location.packID, default: PackUsage(packID: location.packID)].add(location)
        }
        let directory = self.directory
        let packs = usage.values.sorted { $0.packID < $1.packID }
        return try await BlockingIO.run {
            try packs.compactMap { entry in
                var entry = entry
                guard let size = try FileSystem.fileSize(directory.packPath(entry.packID)) else { return nil }
                entry.fileSize = size
                return entry
            }
        }
    }

    /// Copies the live records of shared packs whose dead share is at least `deadShare` into
    /// the open shared pack (each verified against its checksums as it is read), publishes the
    /// index that points at the copies, then deletes the old packs, and any closed pack left
    /// without a live record, within `limits`.
    @discardableResult
    public func compact(
        deadShare: Double, limits: CompactionLimits = .init(), checkpoint: @Sendable (CollectionCheckpoint) -> Void = { _ in }
    ) async throws -> CompactionResult {
        try checkOpen()
        var result = CompactionResult()
        await writer.waitForSeals()
        // A mostly dead open pack is sealed before the snapshot below, so that every blob stored
        // in it until the seal is in the snapshot and copied out with the rest.
        let open = try await packUsage(of: index.openPackEntries(), includingOpen: true)
        if open.contains(where: { $0.fileSize > UInt64(PackHeader.size) && $0.deadShare >= deadShare }) {
            await writer.sealOpenPack()
        }
        // Closed packs first, then the entries: a shared pack is closed only after its records
        // are indexed, and a solo pack is indexed before it is marked closed, so every record of
        // a pack in `closed` is in the snapshot, and one committed meanwhile is never taken for
        // empty. Only those packs are looked at: a pack still open when `closed` was taken may
        // be given records the snapshot does not have, even if it is sealed since.
        let closed = index.closedPacks
        let entries = index.entries()
        let usage = try await packUsage(of: entries, includingOpen: false).filter { closed.contains($0.packID) }
        // A solo pack's record is live as long as the pack exists: only shared packs ever qualify.
        let candidates = usage.filter { $0.deadShare >= deadShare }
        let start = ContinuousClock.now
        let chosen = Set(candidates.map(\.packID))
        var records: [UInt64: [(Digest, BlobLocation)]] = [:]
        var livePacks = Set<UInt64>()
        for (digest, location) in entries {
            livePacks.insert(location.packID)
            if chosen.contains(location.packID) { records[location.packID, default: []].append((digest, location)) }
        }
        // Closed packs without a live record: a shared pack whose records were all removed, or
        // a solo pack that lost a race to store the same blob.
        var compacted = closed.subtracting(livePacks)
        for pack in candidates {
            guard result.bytesCopied < limits.bytes else { break }
            for (digest, location) in records[pack.packID] ?? [] {
                let reader = try RecordReader(path: directory.packPath(location.packID), digest: digest, location: location)
                let stored = try reader.storedPayload()
                let record = RecordEncoder.blob(digest: digest, stored: stored, logicalLength: location.logicalLength, codec: location.codec)
                try await writer.append(
                    record, digest: digest, storedLength: location.storedLength, logicalLength: location.logicalLength,
                    codec: location.codec, replacing: location)
                result.blobsCopied += 1
                result.bytesCopied += location.storedLength
                try await limits.pace(result.bytesCopied, since: start)
            }
            compacted.insert(pack.packID)
            result.packs += 1
        }
        checkpoint(.copied)
        result.packsDeleted = compacted.count
        result.bytesFreed = try await retireAndDelete(compacted, checkpoint: checkpoint)
        return result
    }

    /// Publishes an index that no longer covers `packs`, then deletes their files, then their
    /// entries in the deletion list; returns the bytes the files held. Readers that opened a pack
    /// before keep reading it: an unlinked file lives until its last descriptor closes.
    private func retireAndDelete(_ packs: Set<UInt64>, checkpoint: @Sendable (CollectionCheckpoint) -> Void) async throws -> UInt64 {
        index.retire(packs)
        try await publisher.publish()
        checkpoint(.published)
        guard !packs.isEmpty else { return 0 }
        let directory = self.directory
        let freed = try await BlockingIO.run {
            var freed: UInt64 = 0
            for id in packs.sorted() {
                freed += try FileSystem.fileSize(directory.packPath(id)) ?? 0
                freed += try FileSystem.fileSize(directory.packIndexPath(id)) ?? 0
                try FileSystem.remove(directory.packIndexPath(id))
                try FileSystem.remove(directory.packPath(id))
            }
            try FileSystem.syncDirectory(directory.packs)
            return freed
        }
        // Only now: while a file may still be there, its dead records must stay named.
        try await publisher.forget(packs)
        return freed
    }
}

/// A point inside a compaction, for crash tests that stop the process there.
public enum CollectionCheckpoint: String, Sendable {
    /// Compaction's copies are durable; the index still points at the old packs.
    case copied
    /// The index no longer covers the packs; their files are still there.
    case published
}

/// How much compaction may do in one call: bytes copied in all, and bytes copied per second, so
/// that it leaves the disk to the requests it runs beside.
public struct CompactionLimits: Sendable {
    /// No new pack is started once this many bytes were copied.
    public var bytes: UInt64
    public var bytesPerSecond: UInt64

    public init(bytes: UInt64 = .max, bytesPerSecond: UInt64 = .max) {
        self.bytes = bytes
        self.bytesPerSecond = bytesPerSecond
    }

    /// Sleeps as long as `copied` bytes are ahead of the rate.
    func pace(_ copied: UInt64, since start: ContinuousClock.Instant) async throws {
        guard bytesPerSecond < .max else { return }
        let due = start + .seconds(Double(copied) / Double(bytesPerSecond))
        if due > .now { try await Task.sleep(until: due) }
    }
}

public struct RemovalResult: Sendable, Equatable {
    public var blobs = 0
    /// Logical bytes of the blobs dropped from the index.
    public var bytes: UInt64 = 0
    /// Bytes given back to the storage by the removal itself: none in packs, whose space only
    /// compaction returns; all of them in the cluster store (objects deleted, and rows whose
    /// space PostgreSQL reuses).
    public var bytesFreed: UInt64 = 0

    public init() {}
}

public struct CompactionResult: Sendable, Equatable {
    /// Packs whose live records were copied out.
    public var packs = 0
    /// Pack files deleted: those compacted, and those left without a live record.
    public var packsDeleted = 0
    public var blobsCopied = 0
    public var bytesCopied: UInt64 = 0
    public var bytesFreed: UInt64 = 0

    public init() {}
}

/// One pack's live records against its size on disk.
public struct PackUsage: Sendable, Equatable {
    public let packID: UInt64
    public var liveRecords = 0
    /// Bytes the live records take in the pack, headers and block tables included.
    public var liveBytes: UInt64 = 0
    /// The file's size, pack header (and a shared pack's seal) included.
    public var fileSize: UInt64 = 0

    init(packID: UInt64) {
        self.packID = packID
    }

    mutating func add(_ location: BlobLocation) {
        liveRecords += 1
        liveBytes += RecordHeader.recordLength(storedLength: location.storedLength)
    }

    /// Bytes of the file that no live record needs, framing included.
    public var deadBytes: UInt64 { fileSize > liveBytes ? fileSize - liveBytes : 0 }
    public var deadShare: Double { fileSize == 0 ? 0 : Double(deadBytes) / Double(fileSize) }
}
