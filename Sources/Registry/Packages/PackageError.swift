/// Why a package operation was refused; the facade maps these to HTTP answers in one place.
public enum PackageError: Error, Sendable, Equatable, CustomStringConvertible {
    case packageUnknown(String)
    case versionUnknown(String)
    /// The package or version is live: there is nothing to restore.
    case notDeleted(String)
    /// A version cannot come back while its package is deleted.
    case packageDeleted(String)
    case restoreWindowPassed(String)
    /// A new package was created under the name since it was deleted.
    case nameReused(String)
    /// The tag names another manifest since the version was deleted.
    case tagReused(String)
    case invalidPolicy(String)

    public var description: String {
        switch self {
        case .packageUnknown(let name): "package \(name) is unknown"
        case .versionUnknown(let version): "version \(version) is unknown"
        case .notDeleted(let what): "\(what) is not deleted"
        case .packageDeleted(let name): "package \(name) is deleted; restore the package first"
        case .restoreWindowPassed(let what): "\(what) was deleted longer ago than the restore window allows"
        case .nameReused(let name): "the name \(name) has been used by a new package since the deletion"
        case .tagReused(let tag): "the tag \(tag) names another version since the deletion"
        case .invalidPolicy(let reason): "invalid retention policy: \(reason)"
        }
    }
}
