import BlobStore

/// What a path under `/api/v1/` names. Package names contain slashes, so the path is read from
/// its end, as `RegistryPath` reads `/v2/` paths.
enum ManagementPath: Equatable {
    case packages
    case package(RepositoryName)
    case packageRestore(RepositoryName)
    case versions(RepositoryName)
    case version(RepositoryName, Digest)
    case versionRestore(RepositoryName, Digest)
    case retention
    case retentionScope(String)
    case collection

    static let prefix = "/api/v1/"

    /// nil when the path is not under `/api/v1/`; an error when it is, but names nothing.
    static func parse(_ path: String) throws -> ManagementPath? {
        guard path.hasPrefix(prefix) else { return nil }
        let rest = String(path.dropFirst(prefix.count))
        switch rest {
        case "packages", "packages/": return .packages
        case "retention", "retention/": return .retention
        case "gc": return .collection
        default: break
        }
        if rest.hasPrefix("retention/") {
            return .retentionScope(String(rest.dropFirst("retention/".count)))
        }
        guard rest.hasPrefix("packages/") else { throw RegistryError(.notFound, .unsupported, "no such endpoint: \(path)") }
        var name = Substring(rest.dropFirst("packages/".count))
        let restore = name.hasSuffix("/restore")
        if restore { name = name.dropLast("/restore".count) }
        if let marker = name.lastRange(of: "/versions/") {
            let package = try RepositoryName(parsing: String(name[..<marker.lowerBound]))
            let digest = try Digest(parsing: String(name[marker.upperBound...]))
            return restore ? .versionRestore(package, digest) : .version(package, digest)
        }
        if !restore, name.hasSuffix("/versions") {
            return .versions(try RepositoryName(parsing: String(name.dropLast("/versions".count))))
        }
        let package = try RepositoryName(parsing: String(name))
        return restore ? .packageRestore(package) : .package(package)
    }
}
