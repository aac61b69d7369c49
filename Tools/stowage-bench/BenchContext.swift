import NIOCore

/// What every scenario of one run shares: the client, the run's repositories and its blobs,
/// each blob set out for the one scenario that pushes it.
struct BenchContext: Sendable {
    struct Sizes: Sendable {
        var largeBlob: Int
        var chunk: Int
        var smallBlob: Int
        var pullBlobs: Int
        var mountSources: Int
        var tags: Int
        var headBlobs: Int
        var packageVersions: Int
    }

    let client: RegistryClient
    let sizes: Sizes
    /// `stowage-bench/<random>`: a fresh namespace per run, so that a rerun against the same
    /// registry starts from empty repositories.
    let namespace: String

    let monolithicBlobs: ArraySlice<BlobCorpus.Blob>
    let chunkedBlobs: ArraySlice<BlobCorpus.Blob>
    let smallPushBlobs: ArraySlice<BlobCorpus.Blob>
    let mountBlobs: ArraySlice<BlobCorpus.Blob>
    let headBlobs: ArraySlice<BlobCorpus.Blob>
    /// Two layers and their image config, referenced by every manifest of the run.
    let imageLayers: ArraySlice<BlobCorpus.Blob>
    let imageConfig: BlobCorpus.Blob

    /// Pull reads the first monolithic blobs, pushing them first if push-monolithic did not run.
    var pullBlobs: ArraySlice<BlobCorpus.Blob> { monolithicBlobs.prefix(sizes.pullBlobs) }

    init(client: RegistryClient, sizes: Sizes, plan: [Scenario], seed: UInt64) {
        self.client = client
        self.sizes = sizes
        self.namespace = "stowage-bench/r\(String(seed, radix: 16))"
        func count(_ kind: ScenarioKind) -> Int { plan.first { $0.kind == kind }?.count ?? 0 }
        func needs(_ kind: ScenarioKind) -> Bool { plan.contains { $0.kind == kind } }

        let monolithic = max(count(.pushMonolithic), needs(.pull) ? sizes.pullBlobs : 0)
        let chunked = count(.pushChunked)
        let small = count(.smallPush)
        let mount = needs(.mount) ? sizes.mountSources : 0
        let head = needs(.blobHead) ? sizes.headBlobs : 0
        let image = needs(.manifestPut) || needs(.manifestGet) || needs(.tagList) ? 2 : 0
        let corpus = BlobCorpus(
            largeCount: monolithic + chunked,
            largeSize: sizes.largeBlob,
            smallCount: small + mount + head + image,
            smallSize: sizes.smallBlob,
            seed: seed
        )
        monolithicBlobs = corpus.large[0..<monolithic]
        chunkedBlobs = corpus.large[monolithic...]
        var next = 0
        func take(_ count: Int) -> ArraySlice<BlobCorpus.Blob> {
            defer { next += count }
            return corpus.small[next..<(next + count)]
        }
        smallPushBlobs = take(small)
        mountBlobs = take(mount)
        headBlobs = take(head)
        imageLayers = take(image)
        // A real config, in case a registry reads configs; the layers are uncompressed tar by
        // their media type, so their diff_ids are their own digests.
        let diffIDs = imageLayers.map { "\"\($0.digest)\"" }.joined(separator: ",")
        imageConfig = BlobCorpus.Blob(bytes: ByteBuffer(string:
            #"{"architecture":"amd64","os":"linux","config":{"Labels":{"dev.stowage.bench.run":"\#(namespace)"}},"#
            + #""rootfs":{"type":"layers","diff_ids":[\#(diffIDs)]}}"#
        ))
    }

    func repository(_ name: String) -> String { "\(namespace)/\(name)" }
}
