import BlobStore

/// What a page path names. The pages live at `/` and under `/-/`, which no API path starts with;
/// inside a package path `/-/` separates the package name from what follows, since no name
/// component can be `-` (RepositoryName's grammar).
enum WebPath: Equatable {
    case home
    case asset(String)
    case signIn
    case signOut
    case packages
    case package(RepositoryName)
    case version(RepositoryName, Digest)
    case settings(RepositoryName)
    case visibility(RepositoryName)
    case deletePackage(RepositoryName)
    case deleteVersion(RepositoryName, Digest)
    case deleted
    case restore
    case tokens
    case revokeToken(String)
    case organisations
    case organisation(String)
    case members(String)
    case admin
    case collect

    static let prefix = "/-/"

    /// nil when the path is not a page's; an error when it is under `/-/` but names nothing.
    static func parse(_ path: String) throws -> WebPath? {
        if path == "/" { return .home }
        guard path.hasPrefix(prefix) else { return nil }
        let rest = path.dropFirst(prefix.count)
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        switch (parts.first ?? "", parts.count) {
        case ("static", 2): return .asset(String(parts[1]))
        case ("signin", 1): return .signIn
        case ("signout", 1): return .signOut
        case ("packages", 1): return .packages
        case ("deleted", 1): return .deleted
        case ("deleted", 2) where parts[1] == "restore": return .restore
        case ("tokens", 1): return .tokens
        case ("tokens", 3) where parts[2] == "revoke": return .revokeToken(String(parts[1]))
        case ("orgs", 1): return .organisations
        case ("orgs", 2): return .organisation(String(parts[1]))
        case ("orgs", 3) where parts[2] == "members": return .members(String(parts[1]))
        case ("admin", 1): return .admin
        case ("admin", 2) where parts[1] == "gc": return .collect
        case ("packages", _): return try packagePath(rest.dropFirst("packages/".count))
        default: throw notFound(path)
        }
    }

    /// `NAME`, `NAME/-/settings`, `NAME/-/visibility`, `NAME/-/delete`,
    /// `NAME/-/versions/DIGEST` and `NAME/-/versions/DIGEST/delete`.
    private static func packagePath(_ text: Substring) throws -> WebPath {
        guard let marker = text.range(of: "/-/") else { return .package(try RepositoryName(parsing: String(text))) }
        let name = try RepositoryName(parsing: String(text[..<marker.lowerBound]))
        let tail = text[marker.upperBound...].split(separator: "/", omittingEmptySubsequences: false)
        switch (tail.first ?? "", tail.count) {
        case ("settings", 1): return .settings(name)
        case ("visibility", 1): return .visibility(name)
        case ("delete", 1): return .deletePackage(name)
        case ("versions", 2): return .version(name, try Digest(parsing: String(tail[1])))
        case ("versions", 3) where tail[2] == "delete": return .deleteVersion(name, try Digest(parsing: String(tail[1])))
        default: throw notFound("/-/packages/" + text)
        }
    }

    private static func notFound(_ path: String) -> RegistryError {
        RegistryError(.notFound, .unsupported, "there is no page at \(path)")
    }
}
