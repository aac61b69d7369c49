/// Who is looking at a page, and what they may do: decided by the same `AccessPolicy` (through
/// the same `Authenticator`) as the API. A signed-in viewer acts with the rights of the personal
/// access token they signed in with, so a read-only token gives a read-only session.
struct WebViewer: Sendable {
    /// nil with authentication off: the pages, like the API, let anyone do anything.
    let authenticator: Authenticator?
    /// The signed-in user and the token of the session; nil for an anonymous visitor.
    let account: (user: User, token: TokenRecord)?
    /// The value every form of this viewer must send back.
    let csrf: String

    var isOpen: Bool { authenticator == nil }
    var userName: String? { account?.user.name }
    var isAdmin: Bool { isOpen || account?.user.isAdmin == true }

    private var caller: Authenticator.Caller { account.map { .basic($0.token) } ?? .anonymous }

    /// The actions the viewer holds on `package`.
    func actions(on package: RepositoryName) async throws -> Set<RepositoryAction> {
        guard let authenticator else { return Set(RepositoryAction.allCases) }
        return try await authenticator.allowedActions(caller, on: package)
    }

    /// A predicate for many packages at once (a listing): the facts `AccessPolicy` reads are
    /// loaded once (the viewer's organisation roles), not once per package.
    func policy(for action: RepositoryAction) async throws -> @Sendable (String, Bool) -> Bool {
        guard let authenticator else { return { _, _ in true } }
        guard let (user, token) = account else {
            return { name, isPublic in
                guard let repository = try? RepositoryName(parsing: name) else { return false }
                return AccessPolicy.allows(action, on: repository, isPublic: isPublic, caller: nil)
            }
        }
        let roles = try await authenticator.accounts.store.memberships(of: user.name)
        return { name, isPublic in
            guard let repository = try? RepositoryName(parsing: name) else { return false }
            let caller = AccessPolicy.Caller(
                name: user.name, isSiteAdmin: user.isAdmin, scopes: token.scopes, role: roles[String(repository.owner)])
            return AccessPolicy.allows(action, on: repository, isPublic: isPublic, caller: caller)
        }
    }

    /// Whether the session's token holds `scope` (always, with authentication off).
    func holds(_ scope: Scope) -> Bool {
        isOpen || account.map { Scope.effective($0.token.scopes).contains(scope) } == true
    }
}
