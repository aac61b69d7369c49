/// Merges the overlay into a new published index and swaps it in atomically. One publication at
/// a time; a request that arrives while one runs is folded into the next.
actor IndexPublisher {
    let path: String
    let index: LiveIndex

    init(path: String, index: LiveIndex) {
        self.path = path
        self.index = index
    }

    func publish() async throws {
        let (published, merged, closed) = index.nextPublication()
        guard !closed.isEmpty || published == nil else { return }
        let path = self.path
        let file = try await BlockingIO.run {
            var entries: [(Digest, BlobLocation)] = []
            entries.reserveCapacity((published?.count ?? 0) + merged.count)
            published?.forEach { entries.append(($0, $1)) }
            entries.append(contentsOf: merged.map { ($0.key, $0.value) })
            let packs = closed.union(published?.coveredPacks ?? [])
            let bytes = IndexFile.encode(entries: entries, coveredPacks: packs.sorted())
            try FileSystem.replace(path, with: bytes)
            return try IndexFile(path: path, bytes: bytes)
        }
        index.didPublish(file, merged: merged, packs: closed)
    }
}
