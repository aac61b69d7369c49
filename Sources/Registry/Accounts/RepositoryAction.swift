/// What a request does to a repository, in Docker token-auth terms (`repository:NAME:pull,push`).
public enum RepositoryAction: String, Sendable, Hashable, CaseIterable {
    /// Read manifests, blobs, tags, referrers.
    case pull
    /// Upload blobs, put manifests and tags.
    case push
    /// Delete manifests, tags or blobs.
    case delete
}
