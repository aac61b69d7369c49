/// One broken reference in the registry's metadata, naming the package (repository) it breaks.
public struct ReferenceFinding: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The manifest's own bytes are not in the store.
        case manifestMissing = "manifest-missing"
        case manifestUnparsable = "manifest-unparsable"
        /// A blob the manifest names is not in the store.
        case blobMissing = "blob-missing"
        /// A blob the manifest names is in the store but not linked into the repository.
        case blobUnlinked = "blob-unlinked"
        /// The repository links a blob the store does not have.
        case linkDangling = "link-dangling"
        /// A tag points at a manifest that is gone or whose bytes are.
        case tagDangling = "tag-dangling"
        /// An index names a manifest the repository does not have.
        case childMissing = "child-missing"
        /// A referrer's subject is not in the repository. The OCI spec allows pushing a referrer
        /// before its subject, so this is reported but is no error.
        case subjectMissing = "subject-missing"
        /// The config cannot be read as an image config.
        case configUnreadable = "config-unreadable"
        /// The config's `rootfs.diff_ids` do not match the layers' uncompressed digests.
        case diffIDMismatch = "diff-id-mismatch"
    }

    public var kind: Kind
    public var repository: String
    /// The manifest concerned, if any.
    public var manifest: String?
    /// The blob, child or layer concerned, if any.
    public var digest: String?
    public var tag: String?
    public var message: String

    /// Whether this makes the check fail; only a missing subject does not.
    public var isProblem: Bool { kind != .subjectMissing }

    public var description: String {
        var text = repository
        if let tag { text += ":\(tag)" }
        if let manifest { text += "@\(manifest)" }
        return text + ": " + message
    }
}
