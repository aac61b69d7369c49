#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Upload sessions: begin, append in order, status, commit, cancel. A session survives a restart:
/// its state file holds the synced offset and the hash state at that offset. Requests do not
/// each sync: a checkpoint (sync of the spool, then the state file) is taken once
/// `uploadCheckpointBytes` arrived or `uploadCheckpointInterval` passed since the last one, and
/// when the store closes; a crash takes an upload back to its last checkpoint, whose offset its
/// status then reports (docs/FORMAT.md, "Upload state").
extension BlobStore {
    /// Starts an upload whose content will be hashed with `algorithm`; returns its id.
    ///
    /// Nothing is synced: a session with no bytes is not worth two fsyncs on every push, and its
    /// first checkpoint makes the spool, the state file and their names durable. A power failure
    /// before that leaves no files, a spool without a state file, or a state file that fails its
    /// checksum, and each of those is an unknown upload at the next open.
    public func beginUpload(algorithm: DigestAlgorithm = .sha256) async throws -> String {
        try checkOpen()
        let id = Self.newUploadID()
        let spoolPath = directory.spoolPath(id)
        let statePath = directory.statePath(id)
        let created = UInt64(time(nil))
        let state = UploadState(
            algorithm: algorithm, offset: 0, created: created, hashState: DigestHasher(algorithm: algorithm).exportState())
        let progress = try await BlockingIO.run {
            let progress = try Self.newSpool(spoolPath, algorithm: algorithm)
            try SystemFile.open(statePath, flags: O_WRONLY | O_CREAT | O_EXCL).write(state.encoded(), at: 0)
            return progress
        }
        let session = UploadSession(
            id: id, algorithm: algorithm, created: created, spoolPath: spoolPath, statePath: statePath,
            offset: 0, progress: progress)
        uploads.withLock { $0[id] = session }
        return id
    }

    /// Bytes of the upload its successful requests sent: the `Range` a status request reports.
    public func uploadOffset(_ id: String) throws -> UInt64 {
        try session(id).offset
    }

    /// Ids of the uploads in progress (garbage collection keeps their blobs' digests alive).
    public var uploadIDs: [String] {
        uploads.withLock { Array($0.keys) }
    }

    /// Streams one request's bytes into the upload. `offset`, when given, must be where the upload
    /// stands (chunks arrive in order). The bytes count only if `body` returns; they are synced
    /// and recorded in the state file at the next checkpoint.
    ///
    /// A request that fails (a dropped connection, a body over the size limit, a body its caller
    /// refuses) leaves nothing: a client cannot tell how much of a failed request arrived, and a
    /// caller that refuses a body must not keep part of it. Its bytes may be in the spool already,
    /// so the upload is abandoned to its state file, and the next request cuts the spool back to
    /// the last checkpoint (`resumeProgress`).
    @discardableResult
    public func append(
        to id: String, at offset: UInt64? = nil, _ body: (inout UploadAppender) async throws -> Void
    ) async throws -> UInt64 {
        try checkOpen()
        let session = try session(id)
        let progress = try session.claim { try resumeProgress(session) }
        if let offset, offset != progress.received {
            session.putBack(progress)
            throw BlobStoreError.uploadOutOfOrder(id: id, expected: progress.received, received: offset)
        }
        var appender = UploadAppender(progress: progress, limit: options.maxBlobSize)
        let written: UploadSession.Progress
        let reached: UploadState
        let due: Bool
        do {
            try await body(&appender)
            written = try await appender.finish()
            reached = UploadState(
                algorithm: session.algorithm, offset: written.received, created: session.created,
                hashState: written.hasher.exportState())
            due = session.isCheckpointDue(at: written.received, options: options)
            if due { try await checkpoint(written.spool, reached, statePath: session.statePath) }
        } catch {
            // The drain comes first: once the session is free, the next request may cut the
            // spool, and no write of this one may land after that.
            await appender.abandon()
            session.abandon()
            throw error
        }
        session.release(written, unsynced: due ? nil : reached)
        return written.received
    }

    /// Makes the upload's bytes so far durable, then records the state that goes with them.
    private func checkpoint(_ spool: SystemFile, _ state: UploadState, statePath: String) async throws {
        try await BlockingIO.run {
            try spool.sync()
            try FileSystem.replace(statePath, with: state.encoded())
        }
    }

    /// Takes the checkpoints put off (the store is closing): a clean restart resumes every
    /// upload where its last successful request left it.
    func checkpointUploads() async throws {
        for session in uploads.withLock({ Array($0.values) }) {
            guard let state = session.unsynced else { continue }
            try await checkpoint(try SystemFile.open(session.spoolPath, flags: O_RDWR), state, statePath: session.statePath)
            session.checkpointed(state)
        }
    }

    /// Verifies the upload against `expected`, then makes it a blob: a small one is appended to
    /// the shared pack, a large one becomes a pack of its own by rename. `finalChunk`, if given,
    /// streams the last bytes first (not checkpointed: the commit follows at once); `offset`, when
    /// given, must be where the upload stands, checked under the same claim. A mismatch
    /// removes the upload; an existing blob is acknowledged without storing it again.
    public func commitUpload(
        _ id: String, expected: Digest, at offset: UInt64? = nil, finalChunk: ((inout UploadAppender) async throws -> Void)? = nil
    ) async throws -> BlobInfo {
        try checkOpen()
        let session = try session(id)
        var progress = try session.claim { try resumeProgress(session) }
        if let offset, offset != progress.received {
            session.putBack(progress)
            throw BlobStoreError.uploadOutOfOrder(id: id, expected: progress.received, received: offset)
        }
        if let finalChunk {
            var appender = UploadAppender(progress: progress, limit: options.maxBlobSize)
            do {
                try await finalChunk(&appender)
                progress = try await appender.finish()
            } catch {
                // Bytes past the last successful request are not vouched for: the next request
                // rebuilds the upload from where that one left it.
                await appender.abandon()
                session.abandon()
                throw error
            }
        }
        do {
            let info = try await store(progress, algorithm: session.algorithm, expected: expected)
            try await discard(session)
            return info
        } catch let mismatch as BlobStoreError where mismatch.isDigestMismatch {
            try await discard(session)
            throw mismatch
        } catch {
            // Neither the final chunk nor what a solo commit wrote into the spool (its table and
            // headers) is vouched for: the next request starts again from the last successful one.
            session.abandon()
            throw error
        }
    }

    /// Stores a blob streamed by `body` in one go (a monolithic push): no upload session, no
    /// state file, no checkpoint; only the commit's own sync. A crash before the commit leaves a
    /// spool without state, which the next open removes.
    public func put(
        expected: Digest, streaming body: (inout UploadAppender) async throws -> Void
    ) async throws -> BlobInfo {
        try checkOpen()
        let spoolPath = directory.spoolPath(Self.newUploadID())
        let progress = try await BlockingIO.run { try Self.newSpool(spoolPath, algorithm: expected.algorithm) }
        defer { try? FileSystem.remove(spoolPath) }
        var appender = UploadAppender(progress: progress, limit: options.maxBlobSize)
        do {
            try await body(&appender)
        } catch {
            await appender.abandon()
            throw error
        }
        return try await store(appender.finish(), algorithm: expected.algorithm, expected: expected)
    }

    /// A new spool with its head reserved, and nothing hashed yet.
    private static func newSpool(_ path: String, algorithm: DigestAlgorithm) throws -> UploadSession.Progress {
        let spool = try SystemFile.open(path, flags: O_RDWR | O_CREAT | O_EXCL)
        try spool.truncate(to: UploadSession.reservedHead)
        return UploadSession.Progress(
            spool: spool, hasher: DigestHasher(algorithm: algorithm),
            blocks: BlockTableBuilder(blockShift: RecordHeader.defaultBlockShift), received: 0)
    }

    /// Verifies what `progress` holds against `expected` and makes it a blob. The caller owns
    /// the session and the spool (a large blob's spool is renamed into `packs/`).
    private func store(_ progress: UploadSession.Progress, algorithm: DigestAlgorithm, expected: Digest) async throws -> BlobInfo {
        let actual = expected.algorithm == algorithm
            ? progress.hasher.finalize()
            : try rehash(progress, algorithm: expected.algorithm)
        guard actual == expected else { throw BlobStoreError.digestMismatch(expected: expected, actual: actual) }
        if let existing = stat(actual) { return existing }
        if progress.received < options.soloThreshold {
            let payload = try progress.spool.read(count: Int(progress.received), at: UploadSession.reservedHead)
            return try await putShared(digest: actual, payload: payload)
        }
        return try await commitSolo(actual, progress)
    }

    /// The spool becomes `packs/pack-<ID>.pack`: table after the payload, headers into the
    /// reserved head, fdatasync, rename, fsync of `packs/`. The bytes are never copied.
    private func commitSolo(_ digest: Digest, _ progress: UploadSession.Progress) async throws -> BlobInfo {
        let table = progress.blocks.finish().encodedWithChecksum()
        let packID = packIDs.allocate()
        let size = progress.received
        let header = RecordHeader(
            kind: .blob, digest: digest, codec: .verbatim, storedLength: size, logicalLength: size,
            tableChecksum: table.checksum)
        let spool = progress.spool
        let packPath = directory.packPath(packID)
        let packs = directory.packs
        try await BlockingIO.run {
            try spool.write(table.bytes, at: UploadSession.reservedHead + size)
            try spool.write(PackHeader(kind: .solo, packID: packID).encoded() + header.encoded(), at: 0)
            try spool.sync()
            try FileSystem.rename(spool.path, to: packPath)
            try FileSystem.syncDirectory(packs)
        }
        let location = index.insert(
            digest,
            BlobLocation(packID: packID, offset: UInt64(PackHeader.size), storedLength: size, logicalLength: size, codec: .verbatim))
        index.markClosed(packID)
        publishIfDue()
        return BlobInfo(digest: digest, location: location)
    }

    /// Every upload session and when it began (Unix seconds), for expiring abandoned ones.
    public func uploadSessions() -> [(id: String, created: UInt64)] {
        uploads.withLock { $0.values.map { (id: $0.id, created: $0.created) } }
    }

    /// Cancels an upload and removes its files.
    public func cancelUpload(_ id: String) async throws {
        let session = try session(id)
        _ = try session.claim { try resumeProgress(session) }
        try await discard(session)
    }

    private func discard(_ session: UploadSession) async throws {
        session.finish()
        _ = uploads.withLock { $0.removeValue(forKey: session.id) }
        let spoolPath = session.spoolPath
        let statePath = session.statePath
        try await BlockingIO.run {
            try FileSystem.remove(statePath)
            try FileSystem.remove(spoolPath)
        }
    }

    private func session(_ id: String) throws -> UploadSession {
        guard let session = uploads.withLock({ $0[id] }) else { throw BlobStoreError.uploadUnknown(id) }
        return session
    }

    /// Rebuilds the in-memory progress of an upload reloaded after a restart, or given up by a
    /// failed request: the hash from where the last successful request left it (in memory when
    /// its checkpoint was put off, else the state file), the block checksums (cheap) by reading
    /// the spool.
    ///
    /// The spool is cut to that point first. A failed request may have written past it, and those
    /// bytes would otherwise outlive a shorter next request: a solo commit writes its block table
    /// right after the payload and renames the spool into a pack, so they would end up in a pack
    /// file.
    private func resumeProgress(_ session: UploadSession) throws -> UploadSession.Progress {
        let state = try session.unsynced ?? UploadState.load(session.statePath)
        let hasher: DigestHasher
        do {
            hasher = try DigestHasher(algorithm: state.algorithm, restoring: state.hashState)
        } catch {
            throw BlobStoreError.state(path: session.statePath, reason: "\(error)")
        }
        let spool = try SystemFile.open(session.spoolPath, flags: O_RDWR)
        guard try !state.spoolIsShort(spool.size()) else {
            throw BlobStoreError.damaged(path: session.spoolPath, reason: "spool is shorter than its synced offset \(state.offset)")
        }
        try spool.truncate(to: state.spoolSize)
        let blocks = BlockTableBuilder(blockShift: RecordHeader.defaultBlockShift)
        try forEachChunk(of: spool, from: UploadSession.reservedHead, count: state.offset) { blocks.update($0) }
        return UploadSession.Progress(spool: spool, hasher: hasher, blocks: blocks, received: state.offset)
    }

    /// The upload's digest in an algorithm other than the one it streamed through (a client that
    /// began without saying and finished with sha512): the one case that reads the spool back.
    private func rehash(_ progress: UploadSession.Progress, algorithm: DigestAlgorithm) throws -> Digest {
        var hasher = DigestHasher(algorithm: algorithm)
        try forEachChunk(of: progress.spool, from: UploadSession.reservedHead, count: progress.received) { hasher.update($0) }
        return hasher.finalize()
    }

    private func forEachChunk(
        of file: SystemFile, from start: UInt64, count: UInt64, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var done: UInt64 = 0
        while done < count {
            let want = Int(Swift.min(UInt64(buffer.count), count - done))
            let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]), at: start + done)
            guard got == want else { throw BlobStoreError.damaged(path: file.path, reason: "spool is shorter than its state file says") }
            body(UnsafeRawBufferPointer(rebasing: buffer[..<got]))
            done += UInt64(got)
        }
    }

    /// 32 random hex digits: an upload's id, unguessable, safe in a path or an object key.
    public static func newUploadID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return DataDirectory.hex(high) + DataDirectory.hex(low)
    }
}
