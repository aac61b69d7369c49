/// A scope of Docker token authentication: `repository:alice/app:pull,push`. Clients ask for
/// scopes; the token service grants the subset the caller may have, and tokens carry them.
public struct AccessScope: Hashable, Sendable, Codable {
    public var type: String
    public var name: String
    public var actions: [String]

    public init(type: String, name: String, actions: [String]) {
        self.type = type
        self.name = name
        self.actions = actions
    }

    /// Parses `type:name:action,action`. The name may itself contain colons (a registry host with
    /// a port), so the type is the first field and the actions the last.
    public init?(parsing text: some StringProtocol) {
        guard let first = text.firstIndex(of: ":"), let last = text.lastIndex(of: ":"), first < last else { return nil }
        type = String(text[..<first])
        name = String(text[text.index(after: first)..<last])
        actions = String(text[text.index(after: last)...]).split(separator: ",").map { String($0) }
        guard !type.isEmpty, !name.isEmpty else { return nil }
    }

    public var description: String { "\(type):\(name):\(actions.joined(separator: ","))" }

    /// `registry:catalog:*`, the scope clients ask for to list the catalog.
    static func isCatalog(_ scope: AccessScope) -> Bool {
        scope.type == "registry" && scope.name == "catalog" && scope.actions.contains("*")
    }
}
