/// Merges the overlay into a new published index and swaps it in atomically, one publication at
/// a time; each publishes everything that happened before it was asked for.
actor IndexPublisher {
    let path: String
    let index: LiveIndex

    init(path: String, index: LiveIndex) {
        self.path = path
        self.index = index
    }

    /// The last publication asked for. The actor is reentrant across the blocking write, so
    /// each publication waits for the one before it: two at once would share the temporary file.
    private var last: Task<Void, any Error>?

    func publish() async throws {
        let previous = last
        let task = Task {
            _ = await previous?.result
            try await write()
        }
        last = task
        try await task.value
    }

    private func write() async throws {
        let publication = index.nextPublication()
        guard !publication.isEmpty else { return }
        let path = self.path
        let file = try await BlockingIO.run {
            let bytes = publication.encoded()
            try FileSystem.replace(path, with: bytes)
            return try IndexFile(path: path, bytes: bytes)
        }
        index.didPublish(file, publication)
    }
}
