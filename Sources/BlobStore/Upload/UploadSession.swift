import Synchronization

/// One upload in progress: a spool file, the state file beside it (behind by at most a checkpoint
/// interval), and the running hash. Only one request writes to an upload at a time; it takes the `Progress` out while it writes and puts
/// it back when it is done, so nothing is locked during I/O.
final class UploadSession: Sendable {
    /// The bytes received so far and everything derived from them as they streamed in.
    struct Progress: Sendable {
        var spool: SystemFile
        var hasher: DigestHasher
        var blocks: BlockTableBuilder
        var received: UInt64
    }

    private struct State: Sendable {
        /// nil while a request holds it, or until a resumed upload is first touched.
        var progress: Progress?
        var busy = false
        /// Bytes received by requests that succeeded: what a status request reports.
        var offset: UInt64
        /// Where the last successful request left the upload, when that is past the state file
        /// (its checkpoint was put off); nil when the state file is current.
        var unsynced: UploadState?
        /// The offset the state file holds, and when it was written (or read).
        var durable: UInt64
        var checkpointed = ContinuousClock.now
        var finished = false
    }

    /// Bytes reserved at the head of the spool for the pack and record headers.
    static let reservedHead = UInt64(PackHeader.size + RecordHeader.size)

    let id: String
    let algorithm: DigestAlgorithm
    let created: UInt64
    let spoolPath: String
    let statePath: String
    private let state: Mutex<State>

    init(id: String, algorithm: DigestAlgorithm, created: UInt64, spoolPath: String, statePath: String,
         offset: UInt64, progress: Progress?) {
        self.id = id
        self.algorithm = algorithm
        self.created = created
        self.spoolPath = spoolPath
        self.statePath = statePath
        self.state = Mutex(State(progress: progress, offset: offset, durable: offset))
    }

    var offset: UInt64 { state.withLock { $0.offset } }

    /// Where the last successful request left the upload, if the state file is behind it.
    var unsynced: UploadState? { state.withLock { $0.unsynced } }

    /// Whether the upload, at `received` bytes, is due for a checkpoint.
    func isCheckpointDue(at received: UInt64, options: BlobStoreOptions) -> Bool {
        state.withLock { state in
            received - min(state.durable, received) >= options.uploadCheckpointBytes
                || ContinuousClock.now - state.checkpointed >= options.uploadCheckpointInterval
        }
    }

    /// Takes the upload for one request. `resume` rebuilds the progress of an upload that was
    /// reloaded from its state file.
    func claim(resume: () throws -> Progress) throws -> Progress {
        let claimed = try state.withLock { (state) throws -> Progress? in
            guard !state.finished else { throw BlobStoreError.uploadUnknown(id) }
            guard !state.busy else { throw BlobStoreError.uploadBusy(id) }
            state.busy = true
            defer { state.progress = nil }
            return state.progress
        }
        if let claimed { return claimed }
        do {
            return try resume()
        } catch {
            state.withLock { $0.busy = false }
            throw error
        }
    }

    /// Puts the progress back after a request that succeeded: its bytes count. `unsynced` is
    /// the state they leave the upload in if the state file does not hold it yet; nil when the
    /// request checkpointed.
    func release(_ progress: Progress, unsynced: UploadState?) {
        state.withLock { state in
            state.progress = progress
            state.offset = progress.received
            state.unsynced = unsynced
            if unsynced == nil {
                state.durable = progress.received
                state.checkpointed = .now
            }
            state.busy = false
        }
    }

    /// Puts the progress back untouched after a request that was refused before it wrote.
    func putBack(_ progress: Progress) {
        state.withLock { state in
            state.progress = progress
            state.busy = false
        }
    }

    /// Records that `checkpoint`, written while the upload was idle (the store closing), is the
    /// state file now.
    func checkpointed(_ checkpoint: UploadState) {
        state.withLock { state in
            guard state.unsynced == checkpoint else { return }
            state.unsynced = nil
            state.durable = checkpoint.offset
            state.checkpointed = .now
        }
    }

    /// Gives the upload up without its progress (the request failed, and nothing it wrote is
    /// vouched for); the next request rebuilds it from where the last successful request left it.
    func abandon() {
        state.withLock { state in
            state.busy = false
        }
    }

    /// Marks the upload done (committed or cancelled): later requests see it as unknown.
    func finish() {
        state.withLock { state in
            state.finished = true
            state.busy = false
            state.progress = nil
        }
    }
}
