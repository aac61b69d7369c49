/// Why an account operation was refused. The descriptions are written for the admin commands,
/// which print them as they are. Database failures surface as `MetadataError` instead.
public enum AccountError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A user or organisation name outside the grammar; the reason says what is wrong.
    case invalidName(String, reason: String)
    /// The name is taken by a user (names are shared with organisations).
    case userExists(String)
    /// The name is taken by an organisation (names are shared with users).
    case organisationExists(String)
    case unknownUser(String)
    case unknownOrganisation(String)
    case notAMember(user: String, organisation: String)
    case unknownToken(String)
    case invalidScope(String)
    case noScopes
    /// A token's expiry is not after its creation.
    case expiryInPast

    public var description: String {
        switch self {
        case .invalidName(let name, let reason): "invalid name '\(name)': \(reason)"
        case .userExists(let name): "a user named '\(name)' already exists"
        case .organisationExists(let name): "an organisation named '\(name)' already exists"
        case .unknownUser(let name): "no user named '\(name)'"
        case .unknownOrganisation(let name): "no organisation named '\(name)'"
        case .notAMember(let user, let organisation): "'\(user)' is not a member of '\(organisation)'"
        case .unknownToken(let id): "no token with id '\(id)'"
        case .invalidScope(let scope):
            "unknown scope '\(scope)' (known: \(Scope.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .noScopes: "a token needs at least one scope"
        case .expiryInPast: "the expiry must be in the future"
        }
    }
}
