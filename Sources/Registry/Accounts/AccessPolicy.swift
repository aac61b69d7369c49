/// Who may do what to a repository; pure, so every rule is tested without a database.
///
/// - The owner of `OWNER/…` is its first name component, a user or an organisation.
/// - Anonymous callers may only pull public repositories; anyone may.
/// - Otherwise the token needs the action's scope (`read:packages` to pull, `write:packages`
///   to push, `delete:packages` to delete; writing or deleting implies reading, see
///   `Scope.effective`), and the caller needs the right:
///   - a site admin has every right on every repository;
///   - a user has every right in their own namespace;
///   - a member of the owning organisation may pull with any role, push with `write` or
///     `admin`, delete with `admin`.
public enum AccessPolicy {
    /// An authenticated, enabled user as far as the policy is concerned.
    public struct Caller: Sendable, Equatable {
        public var name: String
        public var isSiteAdmin: Bool
        /// The scopes of the token the request came with.
        public var scopes: Set<Scope>
        /// The caller's role in the organisation that owns the repository; nil if the owner is
        /// not an organisation or the caller is not a member.
        public var role: OrganisationRole?

        public init(name: String, isSiteAdmin: Bool = false, scopes: Set<Scope>, role: OrganisationRole? = nil) {
            self.name = name
            self.isSiteAdmin = isSiteAdmin
            self.scopes = scopes
            self.role = role
        }
    }

    /// The scope a token needs for `action`.
    public static func requiredScope(for action: RepositoryAction) -> Scope {
        switch action {
        case .pull: .readPackages
        case .push: .writePackages
        case .delete: .deletePackages
        }
    }

    public static func allows(
        _ action: RepositoryAction, on repository: RepositoryName, isPublic: Bool, caller: Caller?
    ) -> Bool {
        if action == .pull && isPublic { return true }
        guard let caller, Scope.effective(caller.scopes).contains(requiredScope(for: action)) else { return false }
        if caller.isSiteAdmin || repository.owner == caller.name { return true }
        guard let role = caller.role else { return false }
        switch action {
        case .pull: return true
        case .push: return role >= .write
        case .delete: return role == .admin
        }
    }

    /// Every action `allows` grants: what a token endpoint hands out for a requested scope.
    public static func allowedActions(on repository: RepositoryName, isPublic: Bool, caller: Caller?)
        -> Set<RepositoryAction>
    {
        Set(RepositoryAction.allCases.filter { allows($0, on: repository, isPublic: isPublic, caller: caller) })
    }
}
