/// One workload of a run: what to do, how many times and from how many clients.
///
/// `prepare` does the untimed setup (pushing what the timed part reads, building manifests) and
/// returns the timed operation, which takes an operation number and returns the payload bytes
/// it moved.
struct Scenario: Sendable {
    typealias Operation = @Sendable (Int) async throws -> Int

    let kind: ScenarioKind
    let count: Int
    let concurrency: Int

    func prepare(in context: BenchContext) async throws -> Operation {
        let client = context.client
        switch kind {
        case .pushMonolithic:
            return monolithicPushes(of: context.monolithicBlobs, to: context.repository("large"), client: client)

        case .pushChunked:
            let repository = context.repository("chunked")
            let blobs = context.chunkedBlobs
            let chunk = context.sizes.chunk
            return { index in
                let blob = blobs[blobs.startIndex + index]
                try await client.pushChunked(repository: repository, blob: blob, chunkSize: chunk)
                return blob.size
            }

        case .pull:
            let repository = context.repository("large")
            let blobs = Array(context.pullBlobs)
            // push-monolithic may have pushed these already; HEAD first so they are not pushed twice.
            try await push(blobs, to: repository, client: client, concurrency: 1, unlessPresent: true)
            return { index in
                try await client.pullVerified(repository: repository, blob: blobs[index % blobs.count])
            }

        case .smallPush:
            return monolithicPushes(of: context.smallPushBlobs, to: context.repository("small"), client: client)

        case .manifestPut:
            let repository = context.repository("manifest-put")
            try await pushImageBlobs(context, to: repository)
            let manifests = (0..<count).map {
                ImageManifest(config: context.imageConfig, layers: Array(context.imageLayers), index: $0)
            }
            return { index in
                try await client.putManifest(repository: repository, reference: "m\(index)", manifest: manifests[index])
                return 0
            }

        case .manifestGet:
            let repository = context.repository("manifest-get")
            try await pushImageBlobs(context, to: repository)
            let manifest = ImageManifest(config: context.imageConfig, layers: Array(context.imageLayers), index: 0)
            try await client.putManifest(repository: repository, reference: "latest", manifest: manifest)
            return { _ in
                try await client.getManifest(repository: repository, reference: "latest", expected: manifest.digest)
                return 0
            }

        case .blobHead:
            let repository = context.repository("head")
            let blobs = Array(context.headBlobs)
            try await push(blobs, to: repository, client: client, concurrency: 8)
            return { index in
                guard try await client.blobExists(repository: repository, blob: blobs[index % blobs.count]) else {
                    throw BenchError("HEAD blob: 404 for a blob pushed to \(repository)")
                }
                return 0
            }

        case .mount:
            let source = context.repository("mount-source")
            let blobs = Array(context.mountBlobs)
            try await push(blobs, to: source, client: client, concurrency: 8)
            // Each target repository receives every source blob once, so that every operation
            // is a mount the registry has not done before.
            return { index in
                let target = context.repository("mount-target-\(index / blobs.count)")
                try await client.mount(repository: target, from: source, digest: blobs[index % blobs.count].digest)
                return 0
            }

        case .tagList:
            let repository = context.repository("tags")
            try await pushImageBlobs(context, to: repository)
            let manifest = ImageManifest(config: context.imageConfig, layers: Array(context.imageLayers), index: 0)
            let tags = context.sizes.tags
            try await setUp("tagging \(repository)", count: tags, concurrency: 8) { index in
                try await client.putManifest(repository: repository, reference: "t\(index)", manifest: manifest)
            }
            return { _ in
                let (listed, more) = try await client.listTags(repository: repository)
                guard listed.count == tags else {
                    throw BenchError("tags/list: \(listed.count) tags of \(tags)\(more ? " (paginated)" : "")")
                }
                return 0
            }

        case .packagePage:
            let repository = context.repository("page")
            try await pushImageBlobs(context, to: repository)
            // Every tenth version tagged, the others by digest only: a package with a long
            // history of untagged builds, as CI leaves them.
            try await setUp("pushing \(context.sizes.packageVersions) versions to \(repository)", count: context.sizes.packageVersions, concurrency: 8) { index in
                let manifest = ImageManifest(config: context.imageConfig, layers: Array(context.imageLayers), index: index)
                try await client.putManifest(
                    repository: repository, reference: index % 10 == 0 ? "v\(index)" : manifest.digest.description, manifest: manifest)
            }
            return { _ in
                try await client.getPage("/-/packages/\(repository)", expecting: "All (\(context.sizes.packageVersions))")
                return 0
            }
        }
    }

    /// Operation `index` pushes blob `index` of `blobs` whole (POST, then PUT ?digest=).
    private func monolithicPushes(of blobs: ArraySlice<BlobCorpus.Blob>, to repository: String, client: RegistryClient) -> Operation {
        { index in
            let blob = blobs[blobs.startIndex + index]
            try await client.pushMonolithic(repository: repository, blob: blob)
            return blob.size
        }
    }

    private func pushImageBlobs(_ context: BenchContext, to repository: String) async throws {
        try await push([context.imageConfig] + context.imageLayers, to: repository, client: context.client, concurrency: 3)
    }

    private func push(
        _ blobs: [BlobCorpus.Blob],
        to repository: String,
        client: RegistryClient,
        concurrency: Int,
        unlessPresent: Bool = false
    ) async throws {
        try await setUp("pushing to \(repository)", count: blobs.count, concurrency: concurrency) { index in
            if unlessPresent, try await client.blobExists(repository: repository, blob: blobs[index]) {
                return
            }
            try await client.pushMonolithic(repository: repository, blob: blobs[index])
        }
    }

    /// Runs setup requests with the same driver, but fails the scenario on the first error:
    /// measuring against a half-prepared registry would report nonsense.
    private func setUp(
        _ what: String,
        count: Int,
        concurrency: Int,
        _ step: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        let driver = LoadDriver(count: count, concurrency: concurrency, timeLimit: .seconds(600))
        let outcome = await driver.run { index in
            try await step(index)
            return 0
        }
        if let error = outcome.firstError {
            throw BenchError("setup, \(what): \(error)")
        }
        guard outcome.succeeded == count else {
            throw BenchError("setup, \(what): only \(outcome.succeeded) of \(count) done in time")
        }
    }
}
