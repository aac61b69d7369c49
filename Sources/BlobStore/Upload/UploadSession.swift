import Synchronization

/// One upload in progress: a spool file, the state file beside it, and the running hash. Only one
/// request writes to an upload at a time; it takes the `Progress` out while it writes and puts
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
        /// Bytes received and synced: what a status request reports.
        var offset: UInt64
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
        self.state = Mutex(State(progress: progress, offset: offset))
    }

    var offset: UInt64 { state.withLock { $0.offset } }

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

    /// Puts the progress back after a request; `synced` is the offset now durable.
    func release(_ progress: Progress, synced: UInt64) {
        state.withLock { state in
            state.progress = progress
            state.offset = synced
            state.busy = false
        }
    }

    /// Gives the upload up without its progress (the request failed, and nothing it wrote is
    /// vouched for); the next request rebuilds it from the state file.
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
