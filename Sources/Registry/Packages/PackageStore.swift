import BlobStore

/// Packages (repositories) and their versions as their owners manage them: listing, deleting,
/// restoring within the restore window, and retention policies. Deleting hides at once; the
/// rows stay, and keep their blobs alive, until garbage collection purges them after the window.
///
/// A version is a manifest that no other live manifest of the package names as an index child.
/// Deleting one also deletes its index children that no other live index shares, and the
/// manifests that refer to it (signatures, SBOMs): they are restored with it.
public protocol PackageStore: Sendable {
    /// Live packages, or the deleted ones still restorable, of one owner or of everyone.
    func packages(owner: String?, deleted: Bool) async throws -> [PackageSummary]
    /// The package's live versions, or its deleted ones, newest first.
    func versions(of package: RepositoryName, deleted: Bool) async throws -> [PackageVersion]

    func deletePackage(_ package: RepositoryName, now: Int64) async throws
    /// Returns whether a live version with that digest existed. The OCI DELETE of a manifest
    /// by digest comes here too.
    @discardableResult
    func deleteVersion(_ digest: Digest, in package: RepositoryName, now: Int64) async throws -> Bool
    /// Fails with `PackageError` if nothing is deleted under that name, the window has passed,
    /// or the name has been reused.
    func restorePackage(_ package: RepositoryName, now: Int64, window: Int64) async throws
    /// Fails with `PackageError` if the version is not deleted, its package is, the window has
    /// passed, or one of its tags now names another manifest.
    func restoreVersion(_ digest: Digest, in package: RepositoryName, now: Int64, window: Int64) async throws

    func retentionPolicies() async throws -> [RetentionPolicy]
    /// Sets the policy of its scope, replacing any; a policy with no rule removes it.
    func setRetentionPolicy(_ policy: RetentionPolicy) async throws
    /// Deletes (restorably) what the policies say is no longer wanted; with `dryRun`, only
    /// lists it.
    func applyRetention(now: Int64, dryRun: Bool) async throws -> [RetainedVersion]
}

/// A version deleted, or to be deleted, by a retention policy.
public struct RetainedVersion: Sendable, Equatable, Codable {
    public var package: String
    public var digest: String
    public var rule: String
}
