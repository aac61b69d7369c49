/// Merges the overlay into a new published index and swaps it in atomically, one publication at
/// a time; each publishes everything that happened before it was asked for. It owns the deletion
/// list too (docs/FORMAT.md, "Deletion list"): a publication names the records it leaves out in
/// the list before the index leaves them out.
actor IndexPublisher {
    let directory: DataDirectory
    let index: LiveIndex
    /// The deletion list as it is on disk.
    private var deletions: DeletionList

    init(directory: DataDirectory, index: LiveIndex, deletions: DeletionList) {
        self.directory = directory
        self.index = index
        self.deletions = deletions
    }

    /// The last piece of work asked for. The actor is reentrant across the blocking writes, so
    /// each waits for the one before it: two at once would share the temporary files.
    private var last: Task<Void, any Error>?

    func publish() async throws {
        try await inTurn { try await self.write() }
    }

    /// Drops the entries of `packs`, whose files are gone, from the deletion list.
    func forget(_ packs: Set<UInt64>) async throws {
        try await inTurn { try await self.writeList(self.deletions.dropping(packs: packs)) }
    }

    private func inTurn(_ work: @escaping @Sendable () async throws -> Void) async throws {
        let previous = last
        let task = Task {
            _ = await previous?.result
            try await work()
        }
        last = task
        try await task.value
    }

    private func write() async throws {
        let publication = index.nextPublication()
        guard !publication.isEmpty else { return }
        // The list first: a crash between the two writes leaves dead records that the index
        // still lists, which opening and fsck know to be dead, never the other way round.
        try await writeList(deletions.adding(publication.dead))
        let path = directory.publishedIndex
        let file = try await BlockingIO.run {
            let bytes = publication.encoded()
            try FileSystem.replace(path, with: bytes)
            return try IndexFile(path: path, bytes: bytes)
        }
        index.didPublish(file, publication)
    }

    private func writeList(_ list: DeletionList) async throws {
        guard list != deletions else { return }
        let directory = self.directory
        try await BlockingIO.run { try list.write(to: directory) }
        deletions = list
    }
}
