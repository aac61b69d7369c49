/// An organisation: an owner namespace whose repositories its members reach through their role.
public struct Organisation: Sendable, Equatable {
    public var name: String
    /// Unix seconds.
    public var created: Int64

    public init(name: String, created: Int64) {
        self.name = name
        self.created = created
    }
}
