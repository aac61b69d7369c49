import BlobStore
import Foundation
import HTTPTypes
import Hummingbird

/// The listings: tags of a repository, the catalog, and the referrers of a subject.
struct ListingRoutes {
    let registry: RegistryService

    func tags(_ request: Request, _ name: RepositoryName) async throws -> Response {
        let query = request.uri.queryParameters
        let limit = try registry.pageSize(query.get("n").map { String($0) })
        let last = query.get("last").map { String($0) }
        let page = try await registry.metadata.manifests.tags(in: name, after: last, limit: limit + 1)
        // A repository with tags exists; only an empty page needs the second lookup.
        if page.isEmpty, try await !registry.metadata.manifests.repositoryExists(name) {
            throw RegistryError(.notFound, .nameUnknown, "repository name not known to registry", detail: name.description)
        }
        struct Body: Encodable { let name: String; let tags: [String] }
        let tags = Array(page.prefix(limit))
        var headers: HTTPFields = [:]
        if page.count > limit, let next = tags.last {
            headers[.link] = "</v2/\(name)/tags/list?n=\(limit)&last=\(Self.escape(next))>; rel=\"next\""
        }
        return try JSONResponse.make(Body(name: name.description, tags: tags), headers: headers)
    }

    /// The catalog lists only the repositories `isVisible` admits (those the caller may pull).
    func catalog(_ request: Request, isVisible: (RepositoryName) async throws -> Bool) async throws -> Response {
        let query = request.uri.queryParameters
        let limit = try registry.pageSize(query.get("n").map { String($0) })
        var after = try query.get("last").map { try RepositoryName(parsing: String($0)) }
        // Read pages until one more visible name than asked for is known (or the names run out),
        // so that the Link header is right however many hidden names lie in between.
        var page: [RepositoryName] = []
        while page.count <= limit {
            let batch = try await registry.metadata.manifests.repositories(after: after, limit: limit + 1)
            for name in batch where try await isVisible(name) { page.append(name) }
            guard batch.count == limit + 1, let next = batch.last else { break }
            after = next
        }
        struct Body: Encodable { let repositories: [String] }
        let names = page.prefix(limit).map(\.description)
        var headers: HTTPFields = [:]
        if page.count > limit, let next = names.last {
            headers[.link] = "</v2/_catalog?n=\(limit)&last=\(Self.escape(next))>; rel=\"next\""
        }
        return try JSONResponse.make(Body(repositories: names), headers: headers)
    }

    /// Annotations one referrers page holds at most (beyond its first record): about one
    /// manifest's worth, however many referrers carry megabytes of them.
    static let referrersPageBudget = ManifestParser.maximumSize

    /// The referrers API: an image index of the manifests whose subject is the digest, optionally
    /// filtered by artifact type. An unknown subject has no referrers; that is not an error.
    /// Paged as the spec allows: `n` records at most, fewer once their annotations pass the
    /// budget, and a `Link` to the next page.
    func referrers(_ request: Request, _ name: RepositoryName, _ reference: String) async throws -> Response {
        let subject = try Digest(parsing: reference)
        let query = request.uri.queryParameters
        let artifactType = query.get("artifactType").map { String($0) }
        let limit = try registry.pageSize(query.get("n").map { String($0) })
        var after: ReferrerPage.Cursor?
        if let last = query.get("last") {
            guard let cursor = ReferrerPage.Cursor(parsing: String(last)) else {
                throw RegistryError(.badRequest, .unsupported, "last must be a cursor from a Link header of this API")
            }
            after = cursor
        }
        let page = try await registry.metadata.manifests.referrers(
            of: subject, in: name, artifactType: artifactType, after: after, limit: max(limit, 1), annotationBudget: Self.referrersPageBudget)
        let records = page.records
        struct Descriptor: Encodable {
            let mediaType: String
            let digest: String
            let size: UInt64
            let artifactType: String?
            let annotations: [String: String]?
        }
        struct Index: Encodable {
            let schemaVersion = 2
            let mediaType = ManifestKind.ociIndex.rawValue
            let manifests: [Descriptor]
        }
        let index = Index(manifests: records.map {
            Descriptor(mediaType: $0.mediaType, digest: $0.digest.description, size: $0.size, artifactType: $0.artifactType, annotations: $0.annotations)
        })
        var headers: HTTPFields = [:]
        if artifactType != nil { headers[.ociFiltersApplied] = "artifactType" }
        if let next = page.next {
            var link = "/v2/\(name)/referrers/\(subject)?n=\(limit)&last=\(Self.escape(next.description))"
            if let artifactType { link += "&artifactType=\(Self.escape(artifactType))" }
            headers[.link] = "<\(link)>; rel=\"next\""
        }
        return try JSONResponse.make(index, headers: headers, contentType: ManifestKind.ociIndex.rawValue)
    }

    private static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? text
    }
}
