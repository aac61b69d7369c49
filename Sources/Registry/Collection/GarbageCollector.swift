import BlobStore
import Foundation
import Logging

/// Online garbage collection (DESIGN.md, "Garbage collection"): pushes and pulls go on while it
/// runs. A run goes through its phases in order, and a crash in any of them leaves a registry
/// that opens with nothing referenced missing:
/// 1. purge: deletions past their restore window are deleted for good (one transaction);
/// 2. retain: retention policies delete (restorably) what they no longer keep (one transaction);
/// 3. mark: the engine's blobs are listed first, then the metadata's marks are read, so a blob
///    committed meanwhile is never a candidate;
/// 4. condemn: unmarked blobs are condemned, durably, with the time;
/// 5. sweep: blobs condemned by an earlier run more than a grace period ago, untouched since and
///    still unmarked, are unlinked (one transaction per batch, which checks the marks again) and
///    then dropped from the engine's index; a crash between the two leaves an unlinked, unmarked
///    blob the next run condemns again;
/// 6. expire uploads begun longer ago than the upload expiry;
/// 7. compact: one index publication for everything removed, then the packs left without a live
///    record are deleted, and mostly dead shared packs copied out and deleted.
public actor GarbageCollector {
    let store: any BlobStorage
    let metadata: Metadata
    let liveness: BlobLiveness
    let settings: CollectionSettings
    let metrics: RegistryMetrics
    let logger: Logger
    private var current: Task<CollectionReport, any Error>?

    /// Collection's own work (its sets and sorts over every blob) runs on the low-priority
    /// background thread, beside the scans it awaits.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { BackgroundThread.shared.asUnownedSerialExecutor() }

    init(
        store: any BlobStorage, metadata: Metadata, liveness: BlobLiveness, settings: CollectionSettings,
        metrics: RegistryMetrics, logger: Logger
    ) {
        self.store = store
        self.metadata = metadata
        self.liveness = liveness
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
    }

    /// Runs a collection, or joins the one in progress. A dry run changes nothing and reports
    /// what a run would purge, delete by retention, condemn and delete. Of the nodes of a
    /// cluster, one collects at a time: on the others a run throws `runningElsewhere`.
    public func run(dryRun: Bool = false) async throws -> CollectionReport {
        if dryRun { return try await collect(dryRun: true) }
        if let current { return try await current.value }
        let task = Task {
            let started = UnixTime.now(), clock = ContinuousClock.now
            let report: CollectionReport?
            do {
                report = try await self.metadata.collection.exclusively({ try await self.collect(dryRun: false) })
            } catch {
                let milliseconds = Int64((ContinuousClock.now - clock) / .milliseconds(1))
                try? await self.metadata.collection.recordRun(CollectionRun(started: started, milliseconds: milliseconds, failure: "\(error)"))
                throw error
            }
            guard let report else {
                throw RegistryError(
                    .conflict, .unsupported, "garbage collection is running on another node; try again once it has finished")
            }
            try? await self.metadata.collection.recordRun(CollectionRun(report))
            return report
        }
        current = task
        defer { current = nil }
        // The run is a task of its own so that callers can join it; a caller cancelled (the
        // server shutting down) stops it at its next phase.
        return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
    }

    /// Runs every `settings.interval` seconds until cancelled.
    func schedule() async {
        guard settings.interval > 0 else { return }
        while (try? await Task.sleep(for: .seconds(settings.interval))) != nil {
            do {
                _ = try await run()
            } catch is CancellationError {
                return
            } catch let error as RegistryError where error.status == .conflict {
                logger.info("garbage collection skipped: another node is running one")
            } catch {
                logger.error("garbage collection failed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func collect(dryRun: Bool) async throws -> CollectionReport {
        let clock = ContinuousClock.now
        let now = UnixTime.now()
        let cutoff = now - settings.gracePeriod
        let windowStart = now - settings.restoreWindow
        var report = CollectionReport(dryRun: dryRun, started: now)
        var lap = clock

        if !dryRun { try await metadata.collection.clearAbandonedSweeps() }
        report.purged = try await metadata.collection.purgeDeletions(before: windowStart, dryRun: dryRun)
        try phase("purged", &report, &lap)
        report.retained = try await metadata.packages.applyRetention(now: now, dryRun: dryRun)
        try phase("retained", &report, &lap)

        let blobs = try await store.allBlobs()
        let marked = try await metadata.collection.markedBlobs(linkedAfter: cutoff, deletedAfter: windowStart)
        let unmarked = blobs.filter { !marked.contains($0.digest) }
        let sizes = Dictionary(blobs.map { ($0.digest, $0.size) }, uniquingKeysWith: { first, _ in first })
        report.blobs = blobs.count
        report.markedBlobs = blobs.count - unmarked.count
        report.markedBytes = blobs.reduce(0) { $0 + $1.size } - unmarked.reduce(0) { $0 + $1.size }
        if dryRun { report.reclaimable = try await reclaimable(unmarked) }
        try phase("marked", &report, &lap)

        let condemned = try await metadata.collection.condemnedBlobs()
        let unmarkedDigests = Set(unmarked.map(\.digest))
        let fresh = unmarked.map(\.digest).filter { condemned[$0] == nil }.sorted()
        report.condemnedBlobs = fresh.count
        report.condemnedBytes = fresh.reduce(0) { $0 + (sizes[$1] ?? 0) }
        // In digest order: a batch then touches a narrow range of every digest-keyed B-tree, so a
        // sweep transaction rewrites a few pages instead of one per blob.
        let due = condemned.filter { $0.value < cutoff && unmarkedDigests.contains($0.key) }.map(\.key).sorted()
        if dryRun {
            report.expiredUploads = try await expiredSessions(now: now).count
            report.deletedBlobs = due.count
            report.deletedBytes = due.reduce(0) { $0 + (sizes[$1] ?? 0) }
            return finish(report, since: clock)
        }
        // In batches, so that pushes' metadata writes get their turn between them.
        for start in stride(from: 0, to: fresh.count, by: settings.sweepBatch) {
            await metadata.collection.yieldToRequests()
            try await liveness.condemn(Array(fresh[start..<min(start + settings.sweepBatch, fresh.count)]), at: now)
        }
        // Condemned blobs that are marked again, or no longer stored, are off the list.
        try await liveness.pardon(condemned.keys.filter { !unmarkedDigests.contains($0) })
        try phase("condemned", &report, &lap)

        for start in stride(from: 0, to: due.count, by: settings.sweepBatch) {
            await metadata.collection.yieldToRequests()
            let taken = liveness.beginSweep(Array(due[start..<min(start + settings.sweepBatch, due.count)]))
            do {
                let swept = try await metadata.collection.sweep(taken, condemnedBefore: cutoff, linkedAfter: cutoff, now: now)
                try checkpoint("swept")
                let removal = try await store.remove(swept)
                report.deletedBlobs += removal.blobs
                report.deletedBytes += removal.bytes
                report.bytesFreed += removal.bytesFreed
                try await metadata.collection.endSweep(swept)
            } catch {
                liveness.endSweep(taken)
                throw error
            }
            liveness.endSweep(taken)
        }
        try phase("removed", &report, &lap)

        report.expiredUploads = try await expireUploads(now: now)
        let limits = CompactionLimits(bytes: settings.compactByteLimit, bytesPerSecond: settings.compactBytesPerSecond)
        let compaction = try await store.compact(deadShare: settings.compactDeadShare, limits: limits) {
            self.settings.checkpoint("compaction-\($0.rawValue)")
        }
        report.compactedPacks = compaction.packs
        report.compactedBlobs = compaction.blobsCopied
        report.compactedBytes = compaction.bytesCopied
        report.packsDeleted = compaction.packsDeleted
        report.bytesFreed += compaction.bytesFreed
        if report.deletedBlobs > 0 || !report.purged.isEmpty { try await metadata.collection.shrinkDatabase() }
        try phase("compacted", &report, &lap)
        return finish(report, since: clock)
    }

    /// The engine's upload sessions begun longer ago than the upload expiry.
    private func expiredSessions(now: Int64) async throws -> [(id: String, created: UInt64)] {
        let expiry = UInt64(max(0, now - settings.uploadExpiry))
        return try await store.uploadSessions().filter { $0.created < expiry }
    }

    /// Cancels the engine's sessions begun before the expiry, and forgets the metadata's
    /// sessions the engine no longer has (a crash between the two halves of a begin or an end).
    /// A session busy with a chunk right now is left for the next run.
    private func expireUploads(now: Int64) async throws -> Int {
        var expired = 0
        for session in try await expiredSessions(now: now) {
            guard (try? await store.cancelUpload(session.id)) != nil else { continue }
            try await metadata.uploads.deleteUpload(id: session.id)
            expired += 1
        }
        // The metadata first: a begin creates the engine's session before its row, so a row read
        // here whose session is gone from the list read after it has really ended. The other
        // order would take an upload begun between the two reads for a dead one.
        let recorded = try await metadata.uploads.uploads()
        let live = Set(try await store.uploadSessions().map(\.id))
        for upload in recorded where !live.contains(upload.id) {
            try await metadata.uploads.deleteUpload(id: upload.id)
        }
        return expired
    }

    /// The end of a phase: its time goes in the report, crash tests may stop here, and a
    /// cancelled run stops here.
    private func phase(_ name: String, _ report: inout CollectionReport, _ lap: inout ContinuousClock.Instant) throws {
        let now = ContinuousClock.now
        report.phaseSeconds[name] = (now - lap).seconds
        lap = now
        try checkpoint(name)
    }

    private func checkpoint(_ name: String) throws {
        settings.checkpoint(name)
        try Task.checkCancellation()
    }

    /// Unmarked blobs grouped by the packages that link them.
    private func reclaimable(_ unmarked: [BlobInfo]) async throws -> [CollectionReport.PackageReclaim] {
        guard !unmarked.isEmpty else { return [] }
        let owners = try await metadata.collection.linkingPackages()
        var byPackage: [String: CollectionReport.PackageReclaim] = [:]
        for blob in unmarked {
            for package in Set(owners[blob.digest] ?? ["(unlinked)"]) {
                byPackage[package, default: .init(package: package)].blobs += 1
                byPackage[package, default: .init(package: package)].bytes += blob.size
            }
        }
        return byPackage.values.sorted { $0.package < $1.package }
    }

    private func finish(_ report: CollectionReport, since start: ContinuousClock.Instant) -> CollectionReport {
        var report = report
        report.seconds = (ContinuousClock.now - start).seconds
        metrics.collection(report)
        logger.info(
            "garbage collection \(report.dryRun ? "dry run" : "run")",
            metadata: [
                "marked_blobs": "\(report.markedBlobs)", "marked_bytes": "\(report.markedBytes)",
                "condemned_blobs": "\(report.condemnedBlobs)", "condemned_bytes": "\(report.condemnedBytes)",
                "deleted_blobs": "\(report.deletedBlobs)", "deleted_bytes": "\(report.deletedBytes)",
                "compacted_packs": "\(report.compactedPacks)", "compacted_bytes": "\(report.compactedBytes)",
                "bytes_freed": "\(report.bytesFreed)", "purged": "\(report.purged.count)",
                "retained": "\(report.retained.count)", "seconds": "\(report.seconds)",
            ])
        return report
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
