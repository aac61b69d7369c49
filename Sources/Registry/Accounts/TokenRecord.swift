/// What the registry stores about a personal access token: everything but the secret, of which it
/// keeps only the SHA-256.
public struct TokenRecord: Sendable, Equatable {
    /// 12 lowercase hex digits; the token's public part (`stw_<id>_<secret>`), shown in listings.
    public var id: String
    public var user: String
    public var scopes: Set<Scope>
    /// Free text from the creator; empty if none was given.
    public var description: String
    /// Unix seconds, as are the other dates.
    public var created: Int64
    /// Nil: never expires. The token is refused from this second on.
    public var expires: Int64?
    /// Updated at most once a minute per token, so it may lag by that much.
    public var lastUsed: Int64?
    /// When it was revoked; nil while it is not.
    public var revoked: Int64?

    public init(
        id: String, user: String, scopes: Set<Scope>, description: String = "", created: Int64, expires: Int64? = nil,
        lastUsed: Int64? = nil, revoked: Int64? = nil
    ) {
        self.id = id
        self.user = user
        self.scopes = scopes
        self.description = description
        self.created = created
        self.expires = expires
        self.lastUsed = lastUsed
        self.revoked = revoked
    }

    public var isRevoked: Bool { revoked != nil }

    public func isExpired(at now: Int64) -> Bool {
        expires.map { now >= $0 } ?? false
    }

    /// Neither revoked nor expired at `now` (the owner may still be disabled).
    public func isActive(at now: Int64) -> Bool {
        !isRevoked && !isExpired(at: now)
    }
}
