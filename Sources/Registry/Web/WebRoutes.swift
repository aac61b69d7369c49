import HTTPTypes
import Hummingbird

/// The web interface at `/` and under `/-/`: what every page shares (cookies, the viewer, the
/// CSRF check of every form, error pages, sign-in and sign-out), then the page's handler.
/// Errors become HTML pages here, as RegistryResponder makes them JSON for the API.
struct WebRoutes: Sendable {
    let registry: RegistryService
    /// nil when authentication is off.
    let authenticator: Authenticator?
    /// Where the registry is reached: the host of pull commands, and whether a page came over
    /// HTTPS (cookies are `Secure` then).
    let origin: TokenRealm
    let session: WebSession
    let renderer = PageRenderer()
    let packages: PackagePages
    let accounts: AccountPages
    let administration: AdministrationPage

    /// The largest form a page sends: a token's note and a few fields.
    static let maximumFormSize = 64 * 1024

    init(registry: RegistryService, authenticator: Authenticator?, origin: TokenRealm, service: String) {
        self.registry = registry
        self.authenticator = authenticator
        self.origin = origin
        session = WebSession(keys: registry.signingKeys, audience: service)
        packages = PackagePages(registry: registry)
        accounts = AccountPages(registry: registry)
        administration = AdministrationPage(registry: registry)
    }

    /// Whether `path` is a page's rather than the API's.
    static func serves(_ path: String) -> Bool {
        path == "/" || path.hasPrefix(WebPath.prefix)
    }

    func respond(_ request: Request, address: String) async -> Response {
        let secure = origin.isSecure(request)
        let now = UnixTime.now()
        var cookies: [Cookie] = []
        let csrfSecret: String
        if let value = request.cookies[WebSession.csrfCookie]?.value, value.utf8.count == 32,
           value.utf8.allSatisfy(PersonalAccessToken.isBase64URL)
        {
            csrfSecret = value
        } else {
            csrfSecret = WebSession.newCSRFSecret()
            cookies.append(WebSession.cookie(WebSession.csrfCookie, csrfSecret, maxAge: nil, secure: secure))
        }
        var viewer = WebViewer(authenticator: authenticator, account: nil, csrf: WebSession.csrfToken(secret: csrfSecret, session: nil))
        var response: Response
        do {
            let path = try WebPath.parse(request.uri.path) ?? .home
            if case .asset(let name) = path { return try Self.asset(name, request) }
            let (account, sessionID) = try await signedIn(request, now: now, cookies: &cookies, secure: secure)
            viewer = WebViewer(
                authenticator: authenticator, account: account, csrf: WebSession.csrfToken(secret: csrfSecret, session: sessionID))
            let form = try await Self.form(request, csrf: viewer.csrf)
            let page = PageRequest(
                request: request, viewer: viewer, form: form, now: now, host: origin.authority(for: request), renderer: renderer)
            do {
                response = try await route(path, page, address: address, cookies: &cookies, secure: secure)
            } catch is PageRequest.SignInRequired where request.method == .get {
                let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
                response = PageRenderer.redirect(to: PageRequest.link("/-/signin", [("next", next)]))
            }
        } catch {
            response = errorPage(error, request, viewer: viewer, now: now)
        }
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }

    private func route(
        _ path: WebPath, _ page: PageRequest, address: String, cookies: inout [Cookie], secure: Bool
    ) async throws -> Response {
        switch (path, page.request.method) {
        case (.home, .get), (.packages, .get): return try await packages.list(page)
        case (.package(let name), .get): return try await packages.package(name, page)
        case (.version(let name, let digest), .get): return try await packages.version(name, digest, page)
        case (.settings(let name), .get): return try await packages.settings(name, page)
        case (.visibility(let name), .post): return try await packages.setVisibility(name, page)
        case (.deletePackage(let name), .post): return try await packages.deletePackage(name, page)
        case (.deleteVersion(let name, let digest), .post): return try await packages.deleteVersion(name, digest, page)
        case (.deleted, .get): return try await packages.deleted(page)
        case (.restore, .post): return try await packages.restore(page)
        case (.tokens, .get): return try await accounts.tokens(page)
        case (.tokens, .post): return try await accounts.createToken(page)
        case (.revokeToken(let id), .post): return try await accounts.revokeToken(id, page)
        case (.organisations, .get): return try await accounts.organisations(page)
        case (.organisation(let name), .get): return try await accounts.organisation(name, page)
        case (.members(let name), .post): return try await accounts.setMember(name, page)
        case (.admin, .get): return try await administration.show(page)
        case (.collect, .post): return try await administration.collect(page)
        case (.signIn, .get): return signInPage(page, failure: nil, status: .ok)
        case (.signIn, .post): return try await signIn(page, address: address, cookies: &cookies, secure: secure)
        case (.signOut, .post):
            cookies.append(WebSession.cookie(WebSession.sessionCookie, "", maxAge: 0, secure: secure))
            return PageRenderer.redirect(to: "/")
        default:
            throw RegistryError(.methodNotAllowed, .unsupported, "\(page.request.method) is not supported on \(page.request.uri.path)")
        }
    }

    // MARK: Signing in

    /// The viewer's account from the session cookie, if it is valid and its token still active;
    /// a cookie that is not (forged, expired, its token revoked, its user disabled) is cleared.
    private func signedIn(_ request: Request, now: Int64, cookies: inout [Cookie], secure: Bool) async throws
        -> (account: (user: User, token: TokenRecord)?, session: String?)
    {
        guard let authenticator, let value = request.cookies[WebSession.sessionCookie]?.value, !value.isEmpty else { return (nil, nil) }
        guard let token = await session.verify(value, now: now), let id = token.tokenID,
              let record = try await authenticator.accounts.activeToken(id: id, at: now), record.user == token.subject,
              let user = try await authenticator.accounts.store.user(named: record.user)
        else {
            cookies.append(WebSession.cookie(WebSession.sessionCookie, "", maxAge: 0, secure: secure))
            return (nil, nil)
        }
        RequestNotes.current?.user = user.name
        return ((user, record), token.identifier)
    }

    private struct SignInView {
        let csrf: String
        let next: String
        let user: String
        let failure: String?
    }

    private func signInPage(_ page: PageRequest, failure: String?, status: HTTPResponse.Status) -> Response {
        guard !page.viewer.isOpen, page.viewer.account == nil || failure != nil else {
            return PageRenderer.redirect(to: Self.safeNext(page.query("next")))
        }
        let view = SignInView(
            csrf: page.viewer.csrf, next: Self.safeNext(page.field("next") ?? page.query("next")), user: page.field("user") ?? "",
            failure: failure)
        return page.render("signin", title: "Sign in", page: view, status: status)
    }

    /// Checks the user name and token as `docker login` does (the same backoff for a credential
    /// that keeps failing), then sets the session cookie.
    private func signIn(_ page: PageRequest, address: String, cookies: inout [Cookie], secure: Bool) async throws -> Response {
        guard let authenticator else { return PageRenderer.redirect(to: "/") }
        let record: TokenRecord
        do {
            record = try await authenticator.login(
                user: page.field("user") ?? "", secret: page.field("token") ?? "", address: address, request: page.request)
        } catch let error as RegistryError where error.status == .unauthorized || error.status == .tooManyRequests {
            return signInPage(page, failure: error.status == .unauthorized ? "Wrong user name or token." : error.message, status: error.status)
        }
        let (value, lifetime) = try await session.issue(for: record, now: page.now)
        cookies.append(WebSession.cookie(WebSession.sessionCookie, value, maxAge: lifetime, secure: secure))
        return PageRenderer.redirect(to: Self.safeNext(page.field("next")))
    }

    /// A path on this site to go on to: anything else (another site, `//host`, a scheme) is
    /// replaced by `/`, so that the sign-in page cannot send anyone elsewhere.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"),
              next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" })
        else { return "/" }
        return next
    }

    // MARK: Shared parts

    /// A POST's form, after its CSRF token is checked; empty for a GET.
    private static func form(_ request: Request, csrf: String) async throws -> [String: [String]] {
        guard request.method == .post else { return [:] }
        let body = try await request.body.collect(upTo: maximumFormSize)
        let form = TokenRoutes.parseForm(String(buffer: body))
        guard let sent = form["_csrf"]?.first, PersonalAccessToken.constantTimeEquals(Array(sent.utf8), Array(csrf.utf8)) else {
            throw RegistryError(
                .forbidden, .denied, "This form has expired or was sent from another site. Reload the page and send it again.")
        }
        return form
    }

    private static func asset(_ name: String, _ request: Request) throws -> Response {
        guard request.method == .get || request.method == .head, let asset = WebAssets.all[name] else {
            throw RegistryError(.notFound, .unsupported, "there is no file \(name)")
        }
        var headers = PageRenderer.securityHeaders
        headers[.contentType] = asset.contentType
        // The pages name the file with its content's hash (?v=), so a new build's pages load it anew.
        headers[.cacheControl] = "public, max-age=31536000, immutable"
        headers[.eTag] = "\"\(asset.version)\""
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }

    private struct ErrorView {
        let heading: String
        let message: String
    }

    /// The error as a page: the status and message the API would give, in words for people.
    private func errorPage(_ error: any Error, _ request: Request, viewer: WebViewer, now: Int64) -> Response {
        let mapped = RegistryError(mapping: error is PageRequest.SignInRequired
            ? RegistryError(.unauthorized, .unauthorized, "Sign in to do this.") : error)
        if !mapped.isClientError {
            registry.logger.error("page failed", metadata: [
                "path": "\(LogText.escaped(request.uri.path))", "error": "\(LogText.escaped("\(error)", limit: 1024))",
            ])
        }
        let page = PageRequest(request: request, viewer: viewer, form: [:], now: now, host: "", renderer: renderer)
        let heading = switch mapped.status.code {
        case 404: "Not found"
        case 401: "Sign in required"
        case 403: "Not allowed"
        case 409: "Conflict"
        case 400..<500: "That did not work"
        default: "Something went wrong"
        }
        var response = page.render("error", title: heading, page: ErrorView(heading: heading, message: mapped.message), status: mapped.status)
        for field in mapped.headers where field.name == .retryAfter { response.headers.append(field) }
        return response
    }
}
