import BlobStore

/// What a request path under `/v2/` names. Repository names contain slashes, so the path is read
/// from its end: the last `/blobs/`, `/manifests/`, `/tags/list` or `/referrers/` splits the
/// name from the rest, as distribution's router does.
enum RegistryPath: Equatable {
    case base
    case catalog
    case tags(RepositoryName)
    case manifest(RepositoryName, reference: String)
    case blob(RepositoryName, digest: String)
    case uploads(RepositoryName)
    case upload(RepositoryName, id: String)
    case referrers(RepositoryName, digest: String)

    /// nil when the path is not a registry path at all (404 without an OCI body).
    static func parse(_ path: String) throws -> RegistryPath? {
        guard path.hasPrefix("/v2") else { return nil }
        var rest = Substring(path.dropFirst(3))
        if rest.isEmpty || rest == "/" { return .base }
        guard rest.first == "/" else { return nil }
        rest = rest.dropFirst()
        if rest == "_catalog" { return .catalog }

        if rest.hasSuffix("/tags/list") {
            return .tags(try RepositoryName(parsing: String(rest.dropLast(10))))
        }
        if let range = rest.lastRange(of: "/blobs/uploads") {
            let name = try RepositoryName(parsing: String(rest[..<range.lowerBound]))
            let tail = rest[range.upperBound...]
            if tail.isEmpty || tail == "/" { return .uploads(name) }
            guard tail.first == "/", !tail.dropFirst().contains("/" as Character) else { return nil }
            return .upload(name, id: String(tail.dropFirst()))
        }
        for (marker, make) in [
            ("/blobs/", { RegistryPath.blob($0, digest: $1) }),
            ("/manifests/", { RegistryPath.manifest($0, reference: $1) }),
            ("/referrers/", { RegistryPath.referrers($0, digest: $1) }),
        ] as [(StaticString, (RepositoryName, String) -> RegistryPath)] {
            if let range = rest.lastRange(of: marker) {
                let last = rest[range.upperBound...]
                guard !last.isEmpty, !last.contains("/" as Character) else { return nil }
                return make(try RepositoryName(parsing: String(rest[..<range.lowerBound])), String(last))
            }
        }
        return nil
    }
}
