import BlobStore

/// The registry's metadata: repositories, the blobs linked into each, manifests with their
/// references, tags, and upload sessions. SQLite implements it for a single node; the protocol
/// leaves room for a PostgreSQL implementation shared by several nodes.
///
/// Every method throws `MetadataError`. A write has returned only once it is durable. Methods
/// are plain `throws`, not `throws(MetadataError)`: Swift 6.3 miscompiles async frames with
/// typed throws.
public protocol MetadataStore: Sendable {
    // MARK: Repositories

    /// Repository names in lexical order, strictly after `after`: a page of `/v2/_catalog`.
    func repositories(after: RepositoryName?, limit: Int) async throws -> [RepositoryName]
    func repositoryExists(_ repository: RepositoryName) async throws -> Bool

    // MARK: Blob links; a blob is visible in a repository only if it is linked there

    /// Links a blob into a repository, creating the repository if needed. Idempotent.
    func linkBlob(_ digest: Digest, size: UInt64, in repository: RepositoryName) async throws
    func isBlobLinked(_ digest: Digest, in repository: RepositoryName) async throws -> Bool
    /// Returns whether the link existed.
    @discardableResult
    func unlinkBlob(_ digest: Digest, in repository: RepositoryName) async throws -> Bool

    // MARK: Manifests and tags

    /// In one transaction: checks that every digest of `blobs` is linked in the repository and
    /// every index child is a live manifest there (else throws `MissingReference`), revives them
    /// if garbage collection condemned them, records the manifest unless the repository already
    /// has it (the digest is the identity, so a second put changes nothing), links its digest as
    /// a blob of the repository, and points each tag at it, moving tags that pointed elsewhere.
    func putManifest(_ record: ManifestRecord, tags: [String], in repository: RepositoryName, requiring blobs: [Digest])
        async throws
    /// The live manifest with this digest in the repository, as a GET serves it.
    func manifestHead(_ digest: Digest, in repository: RepositoryName) async throws -> ManifestHead?
    /// The live manifest the tag points at, as a GET serves it.
    func manifestHead(tag: String, in repository: RepositoryName) async throws -> ManifestHead?
    /// Returns whether the tag existed.
    @discardableResult
    func deleteTag(_ tag: String, in repository: RepositoryName) async throws -> Bool
    /// Tags in lexical order, strictly after `after`: a page of the tags list.
    func tags(in repository: RepositoryName, after: String?, limit: Int) async throws -> [String]
    /// The tags pointing at a manifest, in lexical order.
    func tags(of digest: Digest, in repository: RepositoryName) async throws -> [String]
    /// A page of the repository's manifests whose subject is `subject`, optionally of one
    /// artifact type: at most `limit` records after `after`, and no more once their annotations
    /// pass `annotationBudget` bytes (a page holds at least one record).
    func referrers(
        of subject: Digest, in repository: RepositoryName, artifactType: String?, after: ReferrerPage.Cursor?, limit: Int,
        annotationBudget: Int
    ) async throws -> ReferrerPage

    // MARK: Upload sessions

    /// Fails with `.constraint` if the id is taken. Not durable by itself (an upload with no
    /// bytes is not worth an fsync): the next durable write of any request, at the latest the
    /// upload's own finish, takes it to disk. A power failure before that forgets the upload,
    /// and the client, told it is unknown, starts it again.
    func createUpload(id: String, in repository: RepositoryName) async throws
    func uploadRepository(id: String) async throws -> RepositoryName?
    /// Returns whether the upload existed.
    @discardableResult
    func deleteUpload(id: String) async throws -> Bool
    func uploads() async throws -> [(id: String, repository: RepositoryName)]
    /// In one transaction: links the finished upload's blob into the repository and forgets the
    /// upload, so that finishing costs one durable commit.
    func finishUpload(id: String, linking digest: Digest, size: UInt64, in repository: RepositoryName) async throws
}

/// A reference a manifest PUT names that the repository does not hold.
public enum MissingReference: Error, Sendable, Equatable {
    case blob(Digest)
    case manifest(Digest)
}
