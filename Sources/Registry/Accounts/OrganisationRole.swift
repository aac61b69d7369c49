/// A member's role in an organisation: `read` may pull its private packages, `write` may also
/// push, `admin` may also delete.
public enum OrganisationRole: String, Sendable, Hashable, CaseIterable, Comparable {
    case read
    case write
    case admin

    public static func < (lhs: OrganisationRole, rhs: OrganisationRole) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
