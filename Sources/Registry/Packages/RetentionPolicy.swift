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

    /// The values a policy may hold. Bounded so that no day count turned into seconds can
    /// overflow: a policy is stored, and a collection run that trapped on it would trap again
    /// after every restart.
    public static let untaggedDaysRange = 0...36_500
    public static let keepLastRange = 1...1_000_000

    /// Refuses values outside the ranges, saying which.
    public func validate() throws(PackageError) {
        if let untaggedDays, !Self.untaggedDaysRange.contains(untaggedDays) {
            throw .invalidPolicy("untaggedDays must be from 0 to \(Self.untaggedDaysRange.upperBound), not \(untaggedDays)")
        }
        if let keepLast, !Self.keepLastRange.contains(keepLast) {
            throw .invalidPolicy("keepLast must be from 1 to \(Self.keepLastRange.upperBound), not \(keepLast)")
        }
    }

    /// The oldest creation time an untagged version may have at `now` and stay. A stored value
    /// from before the ranges were checked is clamped rather than trusted.
    func untaggedCutoff(now: Int64) -> Int64? {
        untaggedDays.map { now - Int64(Swift.min(Swift.max($0, 0), Self.untaggedDaysRange.upperBound)) * 86_400 }
    }
}
