/// The metadata's references as one read transaction saw them, raw: digests stay text, so that a
/// damaged row is reported rather than failing the whole read.
struct ReferenceSnapshot: Sendable {
    struct Manifest: Sendable {
        let id: Int64
        let repository: String
        let digest: String
        let mediaType: String
        let subject: String?
        /// Deleted (with its package or version) and still restorable: it must stay whole, but
        /// a live index may not count on it.
        let deleted: Bool
    }

    struct Tag: Sendable {
        let repository: String
        let name: String
        let manifestID: Int64
    }

    struct Link: Sendable, Hashable {
        let repository: String
        let digest: String
    }

    var repositories: [String] = []
    var links: [Link] = []
    var manifests: [Manifest] = []
    var tags: [Tag] = []
}
