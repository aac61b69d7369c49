import Synchronization

/// The policy over the account store: whether a credential is valid now, and what a caller may
/// do (`AccessPolicy`). The store keeps rows; this decides.
public final class AccountService: Sendable {
    public let store: AccountStore
    /// How often a token's last use is written at most.
    static let lastUseInterval: Int64 = 60
    /// When each token's last use was last queued for writing, by this node.
    private let lastUseQueued = Mutex<[String: Int64]>([:])

    public init(store: AccountStore) {
        self.store = store
    }

    /// The token's record if `token` is a token of `user` that is neither revoked nor expired and
    /// the user is not disabled; nil otherwise, whatever the reason (a malformed string too).
    /// Records the use (at most once a minute per token, without waiting for it).
    public func authenticate(user: String, token: String) async throws -> TokenRecord? {
        try await authenticate(user: user, token: token, at: UnixTime.now())
    }

    /// `authenticate` as of `now`, for tests of expiry and of the last-use throttle.
    func authenticate(user: String, token: String, at now: Int64) async throws -> TokenRecord? {
        guard let parsed = PersonalAccessToken(parsing: token), let stored = try await store.storedToken(id: parsed.id) else {
            return nil
        }
        // Compared even for a wrong user, so that the answer takes the same time.
        let matches = parsed.matches(storedHash: stored.secretHash)
        guard matches, stored.record.user == user, !stored.userDisabled, stored.record.isActive(at: now) else { return nil }
        var record = stored.record
        if record.lastUsed.map({ now - $0 >= Self.lastUseInterval }) ?? true {
            recordUse(of: record.id, at: now)
        }
        record.lastUsed = now
        return record
    }

    /// The token with this id if it is neither revoked nor expired at `now` and its user is not
    /// disabled: what every access or refresh token issued from it is checked against, on every
    /// request, so that revoking takes effect at once (on every node: it is one indexed read).
    public func activeToken(id: String, at now: Int64) async throws -> TokenRecord? {
        guard let stored = try await store.storedToken(id: id), !stored.userDisabled, stored.record.isActive(at: now) else {
            return nil
        }
        return stored.record
    }

    /// What `user` (nil: anonymous) may do to `repository` with a token of `scopes`, by
    /// `AccessPolicy`. An unknown or disabled user counts as anonymous.
    public func allowedActions(user: String?, repository: RepositoryName, scopes: Set<Scope>) async throws
        -> Set<RepositoryAction>
    {
        // The policy reads the organisation role only for someone else's namespace.
        let facts = try await store.accessFacts(user: user, repository: repository) { user in
            !user.isAdmin && String(repository.owner) != user.name
        }
        let caller = facts.user.flatMap { user in
            user.isDisabled
                ? nil : AccessPolicy.Caller(name: user.name, isSiteAdmin: user.isAdmin, scopes: scopes, role: facts.role)
        }
        return AccessPolicy.allowedActions(on: repository, isPublic: facts.isPublic, caller: caller)
    }

    /// Whether `user` (nil: anonymous) may do `action` to `repository` with a token of `scopes`.
    public func canAccess(user: String?, repository: RepositoryName, action: RepositoryAction, scopes: Set<Scope>)
        async throws -> Bool
    {
        try await allowedActions(user: user, repository: repository, scopes: scopes).contains(action)
    }

    /// Queues the last-use update unless this node queued one for the token within the interval.
    private func recordUse(of id: String, at now: Int64) {
        let due = lastUseQueued.withLock { queued in
            if let last = queued[id], now - last < Self.lastUseInterval, now >= last { return false }
            queued[id] = now
            return true
        }
        if due { store.recordUse(of: id, at: now) }
    }
}
