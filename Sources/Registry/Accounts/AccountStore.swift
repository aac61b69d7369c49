/// Users, organisations with their members, personal access tokens and package visibility: the
/// data behind authentication and authorisation. `SQLMetadataStore` implements it in the same
/// database file as the registry's metadata.
///
/// Names are user or organisation names (`AccountName`'s grammar; users and organisations share
/// one namespace). Dates are Unix seconds. Refusals throw `AccountError`; database failures
/// `MetadataError`. A write has returned only once it is durable. Plain `throws`, not typed:
/// Swift 6.3 miscompiles async frames with typed throws.
public protocol AccountStore: Sendable {
    // MARK: Users

    @discardableResult
    func createUser(_ name: String, admin: Bool) async throws -> User
    /// A disabled user's tokens are refused; enabling the user again restores them.
    func setUserDisabled(_ name: String, disabled: Bool) async throws
    func user(named name: String) async throws -> User?
    /// Every user, by name.
    func users() async throws -> [User]

    // MARK: Organisations

    @discardableResult
    func createOrganisation(_ name: String) async throws -> Organisation
    func organisation(named name: String) async throws -> Organisation?
    /// Every organisation, by name.
    func organisations() async throws -> [Organisation]
    /// Adds the user to the organisation, or changes the role of a member.
    func setMember(organisation: String, user: String, role: OrganisationRole) async throws
    /// Throws `notAMember` if the user was not one.
    func removeMember(organisation: String, user: String) async throws
    /// Nil if the organisation does not exist or the user is not a member.
    func role(of user: String, in organisation: String) async throws -> OrganisationRole?
    /// The members by user name.
    func members(of organisation: String) async throws -> [(user: String, role: OrganisationRole)]

    // MARK: Personal access tokens

    /// A new token for `user`; `token` is the only time its text exists outside the caller.
    /// `expires` (Unix seconds) must be in the future; nil never expires.
    func createToken(user: String, scopes: Set<Scope>, expires: Int64?, description: String) async throws
        -> (token: String, record: TokenRecord)
    /// The token's record if `token` is a token of `user` that is neither revoked nor expired and
    /// the user is not disabled; nil otherwise, whatever the reason (a malformed string too).
    /// Records the use (at most once a minute per token, without waiting for it).
    func authenticate(user: String, token: String) async throws -> TokenRecord?
    /// The token with this id, whatever its state (check `isActive(at:)` and its user); nil if none.
    func token(id: String) async throws -> TokenRecord?
    /// The token with this id if it is neither revoked nor expired at `now` and its user is not
    /// disabled: what every access or refresh token issued from it is checked against, on every
    /// request, so that revoking takes effect at once.
    func activeToken(id: String, at now: Int64) async throws -> TokenRecord?
    /// The user's tokens, revoked and expired ones included, oldest first.
    func tokens(of user: String) async throws -> [TokenRecord]
    /// Revokes at once: the next `authenticate` refuses it. Returns false if it was already
    /// revoked; throws `unknownToken` if there is no such token.
    @discardableResult
    func revokeToken(id: String) async throws -> Bool

    // MARK: Package visibility

    /// New packages are private; this records the owner's choice, before or after the first push.
    func setVisibility(repository: RepositoryName, public isPublic: Bool) async throws
    func isPublic(_ repository: RepositoryName) async throws -> Bool

    // MARK: Authorisation

    /// What `user` (nil: anonymous) may do to `repository` with a token of `scopes`, by
    /// `AccessPolicy`. An unknown or disabled user counts as anonymous.
    func allowedActions(user: String?, repository: RepositoryName, scopes: Set<Scope>) async throws
        -> Set<RepositoryAction>

    // MARK: First start

    /// On a database without users, creates the site admin `admin` with a token of every scope
    /// and no expiry, and returns them: the caller prints the token once. Nil if any user
    /// exists. Atomic: of two concurrent calls, one creates.
    func bootstrapIfEmpty() async throws -> (user: String, token: String)?
}

extension AccountStore {
    /// Whether `user` (nil: anonymous) may do `action` to `repository` with a token of `scopes`.
    public func canAccess(user: String?, repository: RepositoryName, action: RepositoryAction, scopes: Set<Scope>)
        async throws -> Bool
    {
        try await allowedActions(user: user, repository: repository, scopes: scopes).contains(action)
    }
}
