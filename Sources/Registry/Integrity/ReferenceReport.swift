/// What the references check found, which packages (repositories) it affects, and what a repair
/// would remove.
public struct ReferenceReport: Sendable {
    public struct Statistics: Sendable, Codable, Equatable {
        public var repositories = 0
        public var manifests = 0
        public var tags = 0
        public var links = 0
        /// Layers uncompressed to check diff_ids (`checkLayers`).
        public var layersDigested = 0
    }

    /// What a repair removed.
    public struct Repair: Sendable, Codable, Equatable {
        public var linksDropped = 0
        public var manifestsDropped = 0
        public var tagsDropped = 0

        public var isEmpty: Bool { linksDropped == 0 && manifestsDropped == 0 && tagsDropped == 0 }
    }

    struct Removals: Sendable {
        var links: [ReferenceSnapshot.Link] = []
        var manifestIDs: [Int64] = []
        var tags: [ReferenceSnapshot.Tag] = []
    }

    public private(set) var findings: [ReferenceFinding] = []
    public var statistics = Statistics()
    var removals = Removals()

    init(snapshot: ReferenceSnapshot) {
        statistics.repositories = snapshot.repositories.count
        statistics.manifests = snapshot.manifests.count
        statistics.tags = snapshot.tags.count
        statistics.links = snapshot.links.count
    }

    /// Findings that make the check fail (all but notes on missing subjects).
    public var problems: [ReferenceFinding] { findings.filter(\.isProblem) }

    /// The packages with a problem, each once, sorted.
    public var affectedRepositories: [String] {
        Array(Set(problems.map(\.repository))).sorted()
    }

    mutating func add(
        _ kind: ReferenceFinding.Kind, _ repository: String, manifest: String? = nil, digest: String? = nil, tag: String? = nil,
        _ message: String
    ) {
        findings.append(ReferenceFinding(kind: kind, repository: repository, manifest: manifest, digest: digest, tag: tag, message: message))
    }
}
