import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// Dispatches every request: the `/v2/` API by path and method, plus the health endpoint. Errors
/// become the spec's JSON answers here and nowhere else.
public struct RegistryResponder: HTTPResponder {
    public typealias Context = RegistryRequestContext

    let registry: RegistryService
    let blobs: BlobRoutes
    let uploads: UploadRoutes
    let manifests: ManifestRoutes
    let listings: ListingRoutes
    let management: ManagementRoutes
    /// The web interface at `/` and under `/-/`.
    let web: WebRoutes
    let metrics: RegistryMetrics
    /// nil when authentication is off (`auth.mode: none`).
    let authenticator: Authenticator?
    let tokens: TokenRoutes?
    let metricsAccess: AuthSettings.MetricsAccess
    let proxies: TrustedProxies
    let accessLog: AccessLog
    /// Refusals are logged, but a client that loops on one does not get a line per request.
    let logThrottle = LogThrottle()

    init(
        registry: RegistryService, authenticator: Authenticator?, metricsAccess: AuthSettings.MetricsAccess,
        proxies: TrustedProxies, accessLog: AccessLog, web: WebRoutes
    ) {
        self.web = web
        self.authenticator = authenticator
        self.metricsAccess = metricsAccess
        self.proxies = proxies
        self.accessLog = accessLog
        tokens = authenticator.map(TokenRoutes.init(authenticator:))
        self.registry = registry
        metrics = registry.metrics
        blobs = BlobRoutes(registry: registry)
        uploads = UploadRoutes(registry: registry)
        manifests = ManifestRoutes(registry: registry)
        listings = ListingRoutes(registry: registry)
        management = ManagementRoutes(registry: registry, authenticator: authenticator)
    }

    public func respond(to incoming: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        let peer = context.remoteAddress?.ipAddress ?? "unknown"
        var (request, client) = proxies.admit(incoming, peer: peer)
        let requestID = Self.requestID(request, context: context, trusted: proxies.trusts(peer))
        let notes = RequestNotes()
        let received = Atomic<Int>(0)
        if accessLog.format != .off, [.post, .put, .patch].contains(request.method) {
            request.body = RequestBody(asyncSequence: request.body.map { buffer in
                received.add(buffer.readableBytes, ordering: .relaxed)
                return buffer
            })
        }
        // Parsed once: the route needs it, and so does the metrics label.
        let path = Result { try RegistryPath.parse(request.uri.path) }
        var response: Response
        do {
            response = try await RequestNotes.$current.withValue(notes) {
                try await route(request, path: path, address: client, context: context)
            }
        } catch {
            response = refusal(error, request, context: context)
        }
        response.headers[.dockerDistributionAPIVersion] = "registry/2.0"
        response.headers[.requestID] = requestID
        metrics.request(
            route: Self.routeLabel(path, request.uri.path), method: request.method.rawValue, status: response.status.code,
            latency: ContinuousClock.now - start)
        guard accessLog.format != .off else { return response }
        let entry = AccessLog.Entry(
            time: .now, remote: client, user: notes.user, method: request.method.rawValue, path: LogText.escaped(request.uri.description, limit: 512),
            status: response.status.code, bytesIn: received.load(ordering: .relaxed), bytesOut: response.body.contentLength ?? 0,
            duration: ContinuousClock.now - start, requestID: requestID)
        guard request.method == .get, case .success(.blob?) = path, (200..<300).contains(response.status.code) else {
            accessLog.record(entry)
            return response
        }
        // A blob streams long after this returns: its line is written when the last byte is
        // sent (or the client goes away), with what was sent and how long it took.
        let log = accessLog
        let sent = Atomic<Int>(0)
        let body = response.body.map { buffer in
            sent.add(buffer.readableBytes, ordering: .relaxed)
            return buffer
        }
        let streamed = entry
        response.body = ResponseBody(contentLength: response.body.contentLength) { writer in
            func finish(aborted: Bool) {
                var entry = streamed
                entry.aborted = aborted
                entry.bytesOut = sent.load(ordering: .relaxed)
                entry.duration = ContinuousClock.now - start
                log.record(entry)
            }
            do {
                try await body.write(writer)
            } catch {
                finish(aborted: true)
                throw error
            }
            finish(aborted: false)
        }
        return response
    }

    /// The error answer for `error`, logged as the server's failure or the client's refusal.
    private func refusal(_ error: any Error, _ request: Request, context: Context) -> Response {
        let registryError = RegistryError(mapping: error)
        let path = LogText.escaped(request.uri.path)
        if !registryError.isClientError {
            context.logger.throttled(.error, "request failed", metadata: [
                "method": "\(request.method)", "path": "\(path)", "error": "\(LogText.escaped("\(error)", limit: 1024))",
            ], by: logThrottle)
        } else if registryError.status != .unauthorized, !(request.method == .head && registryError.status == .notFound) {
            // A 401 is the first step of every client's login (and a wrong credential is
            // logged by the authenticator); a HEAD's 404 is how clients ask whether a blob
            // is there. Neither is worth a line.
            context.logger.throttled(.info, "request refused", metadata: [
                "method": "\(request.method)", "path": "\(path)", "status": "\(registryError.status.code)",
                "reason": "\(LogText.escaped(registryError.message))",
            ], by: logThrottle)
        }
        return registryError.response(includeBody: request.method != .head)
    }

    /// The id of the request in the access log and the `X-Request-Id` answer: a trusted proxy's
    /// own, when it sends a plain one, else the id Hummingbird gave the request's log lines.
    static func requestID(_ request: Request, context: Context, trusted: Bool) -> String {
        if trusted, let id = request.headers[.requestID], (1...64).contains(id.utf8.count),
           id.utf8.allSatisfy(PersonalAccessToken.isBase64URL)
        {
            return id
        }
        return context.logger[metadataKey: "hb.request.id"].map { "\($0)" } ?? "-"
    }

    /// What the caller may do beyond the request's own repository: pull from a mount's source,
    /// see a repository in the catalog.
    struct Access {
        let mayPull: (RepositoryName) async throws -> Bool
    }

    /// Checks that the caller holds the actions the request needs (pull to read, push to write,
    /// delete to delete) before any route runs.
    private func authorize(_ path: RegistryPath, request: Request, address: String) async throws -> Access {
        guard let authenticator else { return Access(mayPull: { _ in true }) }
        let caller = try await authenticator.caller(request, address: address)
        // The catalog shows what the person behind the caller may pull, not what one token names.
        let viewer = path == .catalog ? try await authenticator.catalogViewer(caller) : caller
        let access = Access(mayPull: { try await authenticator.allowedActions(viewer, on: $0).contains(.pull) })
        let method = request.method
        let reading = method == .get || method == .head
        let target: (RepositoryName, [RepositoryAction])?
        switch path {
        case .base, .catalog:
            if case .anonymous = caller, path == .base {
                throw authenticator.unauthorized(request, scope: nil, reason: "authentication required")
            }
            target = nil
        case .tags(let name), .referrers(let name, _):
            target = (name, [.pull])
        case .manifest(let name, _), .blob(let name, _):
            target = (name, reading ? [.pull] : method == .delete ? [.delete] : [.push])
        case .uploads(let name), .upload(let name, _):
            target = (name, [.push])
        }
        if let (name, actions) = target {
            try await authenticator.require(actions, on: name, caller: caller, request: request)
        }
        return access
    }

    /// `/metrics` for whom `metrics_access` lets read it: nobody, anybody, or site
    /// administrators (with auth off there is nobody to tell apart, so anybody).
    private func metricsExposition(_ request: Request, address: String) async throws -> Response {
        switch metricsAccess {
        case .off:
            throw RegistryError(.notFound, .unsupported, "metrics are not served here")
        case .administrators:
            if let authenticator {
                let caller = try await authenticator.caller(request, address: address)
                try await authenticator.requireAdministrator(caller, scope: nil, for: "read the metrics", request: request)
            }
        case .open:
            break
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    }

    /// Refuses a body framed in anything but `chunked`, the one transfer coding the HTTP parser
    /// takes off, before any route reads it: routes stream bodies into the engine as they arrive,
    /// and `gzip, chunked` would hand one gzip as if it were the blob. RFC 9112 §6.1: 501.
    static func checkTransferCoding(_ headers: HTTPFields) throws {
        let codings = headers[values: .transferEncoding]
        guard codings.isEmpty || (codings.count == 1 && Substring(codings[0]).trimmingWhitespace.lowercased() == "chunked") else {
            throw RegistryError(
                .notImplemented, .unsupported, "Transfer-Encoding '\(codings.joined(separator: ", "))' is not supported; only chunked is")
        }
    }

    /// A bounded label for metrics: the kind of endpoint, never the repository name.
    static func routeLabel(_ parsed: Result<RegistryPath?, any Error>, _ path: String) -> String {
        switch (try? parsed.get()) ?? nil {
        case .base: "base"
        case .catalog: "catalog"
        case .tags: "tags"
        case .manifest: "manifest"
        case .blob: "blob"
        case .uploads, .upload: "upload"
        case .referrers: "referrers"
        case nil:
            if path.hasPrefix(ManagementPath.prefix) { "management" }
            else if WebRoutes.serves(path) { "pages" }
            else { ["/health", "/ready", "/metrics", "/token"].contains(path) ? String(path.dropFirst()) : "other" }
        }
    }

    /// `/ready`: whether this node can serve requests now, for a load balancer's health check
    /// (`/health` only says the process answers): the metadata database and the blob storage must
    /// both answer. 503 names the one that does not.
    private func readiness() async -> Response {
        async let database = registry.metadata.isReachable()
        async let storage = registry.store.isReachable()
        let (databaseUp, storageUp) = await (database, storage)
        let lines = "database: \(databaseUp ? "ok" : "unavailable")\nstorage: \(storageUp ? "ok" : "unavailable")\n"
        return Response(
            status: databaseUp && storageUp ? .ok : .serviceUnavailable,
            headers: [.contentType: "text/plain", .cacheControl: "no-store"], body: ResponseBody(byteBuffer: ByteBuffer(string: lines)))
    }

    private func route(
        _ request: Request, path parsed: Result<RegistryPath?, any Error>, address: String, context: Context
    ) async throws -> Response {
        try Self.checkTransferCoding(request.headers)
        let method = request.method
        if request.uri.path == "/metrics" {
            return try await metricsExposition(request, address: address)
        }
        if request.uri.path == "/token", let tokens {
            switch method {
            case .get: return try await tokens.get(request, address: address)
            case .post: return try await tokens.post(request, address: address)
            default: throw RegistryError(.methodNotAllowed, .unsupported, "\(method) is not supported on /token")
            }
        }
        if request.uri.path == "/health" {
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        if request.uri.path == "/ready" {
            return await readiness()
        }
        if WebRoutes.serves(request.uri.path) {
            return await web.respond(request, address: address)
        }
        if let managementPath = try ManagementPath.parse(request.uri.path) {
            return try await management.respond(request, managementPath, address: address)
        }
        guard let path = try parsed.get() else {
            throw RegistryError(.notFound, .unsupported, "no such endpoint: \(request.uri.path)")
        }
        let access = try await authorize(path, request: request, address: address)
        switch (path, method) {
        case (.base, .get), (.base, .head):
            return Response(status: .ok, headers: [.contentType: "application/json", .contentLength: "2"], body: ResponseBody(byteBuffer: ByteBuffer(string: "{}")))
        case (.catalog, .get):
            return try await listings.catalog(request, isVisible: access.mayPull)
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
            return try await uploads.start(request, name, mayRead: access.mayPull)
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
