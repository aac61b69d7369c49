/// A registry user. The name shares one namespace with organisations and is the first name
/// component of the repositories the user owns.
public struct User: Sendable, Equatable {
    public var name: String
    /// A site administrator may do everything to every repository (within the token's scopes).
    public var isAdmin: Bool
    /// A disabled user's tokens stop working until the user is enabled again.
    public var isDisabled: Bool
    /// Unix seconds.
    public var created: Int64

    public init(name: String, isAdmin: Bool, isDisabled: Bool, created: Int64) {
        self.name = name
        self.isAdmin = isAdmin
        self.isDisabled = isDisabled
        self.created = created
    }
}
