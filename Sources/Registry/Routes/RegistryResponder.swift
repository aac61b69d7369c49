import HTTPTypes
import Hummingbird
import Logging

/// Dispatches every request: the `/v2/` API by path and method, plus the health endpoint. Errors
/// become the spec's JSON answers here and nowhere else.
public struct RegistryResponder: HTTPResponder {
    public typealias Context = BasicRequestContext

    let blobs: BlobRoutes
    let uploads: UploadRoutes
    let manifests: ManifestRoutes
    let listings: ListingRoutes
    let metrics: RegistryMetrics

    public init(registry: RegistryService) {
        metrics = registry.metrics
        blobs = BlobRoutes(registry: registry)
        uploads = UploadRoutes(registry: registry)
        manifests = ManifestRoutes(registry: registry)
        listings = ListingRoutes(registry: registry)
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await route(request, context: context)
        } catch {
            let registryError = RegistryError(mapping: error)
            if registryError.code == .unknown {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            response = registryError.response(includeBody: request.method != .head)
        }
        response.headers[.dockerDistributionAPIVersion] = "registry/2.0"
        metrics.request(
            route: Self.routeLabel(request.uri.path), method: request.method.rawValue, status: response.status.code,
            latency: ContinuousClock.now - start)
        return response
    }

    /// A bounded label for metrics: the kind of endpoint, never the repository name.
    static func routeLabel(_ path: String) -> String {
        switch (try? RegistryPath.parse(path)) ?? nil {
        case .base: "base"
        case .catalog: "catalog"
        case .tags: "tags"
        case .manifest: "manifest"
        case .blob: "blob"
        case .uploads, .upload: "upload"
        case .referrers: "referrers"
        case nil: path == "/health" || path == "/metrics" ? String(path.dropFirst()) : "other"
        }
    }

    private func route(_ request: Request, context: Context) async throws -> Response {
        let method = request.method
        if request.uri.path == "/metrics" {
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        if request.uri.path == "/health" {
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        guard let path = try RegistryPath.parse(request.uri.path) else {
            throw RegistryError(.notFound, .unsupported, "no such endpoint: \(request.uri.path)")
        }
        switch (path, method) {
        case (.base, .get), (.base, .head):
            return Response(status: .ok, headers: [.contentType: "application/json", .contentLength: "2"], body: ResponseBody(byteBuffer: ByteBuffer(string: "{}")))
        case (.catalog, .get):
            return try await listings.catalog(request)
        case (.tags(let name), .get):
            return try await listings.tags(request, name)
        case (.referrers(let name, let digest), .get):
            return try await listings.referrers(request, name, digest)
        case (.manifest(let name, let reference), .get), (.manifest(let name, let reference), .head):
            return try await manifests.get(request, name, reference)
        case (.manifest(let name, let reference), .put):
            return try await manifests.put(request, name, reference)
        case (.manifest(let name, let reference), .delete):
            return try await manifests.delete(name, reference)
        case (.blob(let name, let digest), .get), (.blob(let name, let digest), .head):
            return try await blobs.get(request, name, digest)
        case (.blob(let name, let digest), .delete):
            return try await blobs.delete(name, digest)
        case (.uploads(let name), .post):
            return try await uploads.start(request, name)
        case (.upload(let name, let id), .patch):
            return try await uploads.patch(request, name, id)
        case (.upload(let name, let id), .put):
            return try await uploads.put(request, name, id)
        case (.upload(let name, let id), .get):
            return try await uploads.status(name, id)
        case (.upload(let name, let id), .delete):
            return try await uploads.cancel(name, id)
        default:
            throw RegistryError(.methodNotAllowed, .unsupported, "\(method) is not supported on \(request.uri.path)")
        }
    }
}
