/// A personal access token's permission, named as GitHub Packages names it.
public enum Scope: String, Sendable, Hashable, CaseIterable, Comparable {
    case readPackages = "read:packages"
    case writePackages = "write:packages"
    case deletePackages = "delete:packages"

    /// What a token holding `scopes` may do: writing or deleting packages implies reading them,
    /// as on GitHub (a push reads blobs back; docker asks for pull and push together).
    public static func effective(_ scopes: Set<Scope>) -> Set<Scope> {
        scopes.isDisjoint(with: [.writePackages, .deletePackages]) ? scopes : scopes.union([.readPackages])
    }

    /// Parses a comma-separated list such as `read:packages,write:packages`; spaces around the
    /// commas are allowed. Unknown names are an error, an empty list too.
    public static func parseList(_ text: String) throws(AccountError) -> Set<Scope> {
        var scopes: Set<Scope> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingSpaces
            guard let scope = Scope(rawValue: name) else { throw .invalidScope(name) }
            scopes.insert(scope)
        }
        guard !scopes.isEmpty else { throw .noScopes }
        return scopes
    }

    /// The canonical text form: raw values in declaration order, comma-separated.
    public static func format(_ scopes: Set<Scope>) -> String {
        scopes.sorted().map(\.rawValue).joined(separator: ",")
    }

    public static func < (lhs: Scope, rhs: Scope) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
