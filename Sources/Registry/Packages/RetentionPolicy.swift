/// What an owner or a package keeps; garbage collection applies it before it marks. A package's
/// own policy replaces its owner's.
public struct RetentionPolicy: Sendable, Equatable, Codable {
    /// An owner (`octo-org`) or a full package name (`octo-org/app/web`).
    public var scope: String
    /// Delete untagged versions older than this many days. A manifest that is a child of a
    /// live index, or refers to a live subject, is never an untagged version.
    public var untaggedDays: Int?
    /// Keep only the newest this many versions; older ones are deleted with their tags.
    public var keepLast: Int?

    public init(scope: String, untaggedDays: Int? = nil, keepLast: Int? = nil) {
        self.scope = scope
        self.untaggedDays = untaggedDays
        self.keepLast = keepLast
    }

    public var isEmpty: Bool { untaggedDays == nil && keepLast == nil }
}
