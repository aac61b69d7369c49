import Foundation
import HTTPTypes
import Hummingbird

/// The token service of Docker token authentication: `GET /token` (Basic credentials or
/// anonymous, `offline_token=true` for a refresh token, as `docker login` asks) and `POST /token`
/// (OAuth2 form: `grant_type=password` or `refresh_token`). The grant is the intersection of what
/// was asked and what is allowed; a partial grant is not an error.
struct TokenRoutes: Sendable {
    let authenticator: Authenticator

    struct Answer: Encodable {
        let token: String
        let accessToken: String
        let expiresIn: Int64
        let issuedAt: String
        let refreshToken: String?
        let scope: String?

        enum CodingKeys: String, CodingKey {
            case token, accessToken = "access_token", expiresIn = "expires_in", issuedAt = "issued_at"
            case refreshToken = "refresh_token", scope
        }
    }

    func get(_ request: Request, address: String) async throws -> Response {
        let query = request.uri.queryParameters
        try checkService(query.get("service").map { String($0) })
        var record: TokenRecord?
        if let authorization = request.headers[.authorization] {
            guard let (user, secret) = Authenticator.basicCredentials(authorization) else {
                throw authenticator.unauthorized(request, scope: nil, reason: "the token endpoint takes Basic credentials")
            }
            record = try await authenticator.login(user: user, secret: secret, address: address, request: request)
        }
        let scopes = Self.scopes(query.getAll("scope").map { String($0) })
        let offline = query.get("offline_token") == "true"
        return try await answer(for: record, scopes: scopes, refresh: offline && record != nil)
    }

    /// A token request is a few hundred bytes; a larger body is refused with 413.
    static let maximumFormSize = 64 * 1024

    func post(_ request: Request, address: String) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.maximumFormSize)
        let form = Self.parseForm(String(buffer: body))
        try checkService(form["service"]?.first)
        let scopes = Self.scopes(form["scope"] ?? [])
        switch form["grant_type"]?.first {
        case "password":
            guard let user = form["username"]?.first, let secret = form["password"]?.first else {
                throw RegistryError(.badRequest, .unsupported, "grant_type=password needs username and password")
            }
            let record = try await authenticator.login(user: user, secret: secret, address: address, request: request)
            return try await answer(for: record, scopes: scopes, refresh: form["access_type"]?.first == "offline")
        case "refresh_token":
            guard let refresh = form["refresh_token"]?.first else {
                throw RegistryError(.badRequest, .unsupported, "grant_type=refresh_token needs refresh_token")
            }
            return try await answer(for: try await redeem(refresh, request: request), scopes: scopes, refresh: false)
        default:
            throw RegistryError(.badRequest, .unsupported, "grant_type must be password or refresh_token")
        }
    }

    /// The personal access token a refresh token stands for, if both are still good.
    private func redeem(_ refresh: String, request: Request) async throws -> TokenRecord {
        let now = UnixTime.now()
        guard let token = try? await authenticator.keys.verify(refresh, audience: authenticator.settings.service, now: now),
              token.kind == .refresh, let id = token.tokenID,
              let record = try await authenticator.accounts.activeToken(id: id, at: now), record.user == token.subject
        else {
            throw authenticator.unauthorized(request, scope: nil, reason: "refresh token refused")
        }
        return record
    }

    private func checkService(_ service: String?) throws {
        if let service, service != authenticator.settings.service {
            throw RegistryError(.badRequest, .unsupported, "this registry's service is \(authenticator.settings.service), not \(service)")
        }
    }

    private func answer(for record: TokenRecord?, scopes: [AccessScope], refresh: Bool) async throws -> Response {
        let caller: Authenticator.Caller = record.map { .basic($0) } ?? .anonymous
        var granted: [AccessScope] = []
        // The catalog is granted to whoever asks: what it lists is decided per request, by the
        // user the token stands for.
        if let catalog = scopes.first(where: AccessScope.isCatalog) { granted.append(catalog) }
        for scope in scopes where scope.type == "repository" {
            guard let name = try? RepositoryName(parsing: scope.name) else { continue }
            let allowed = try await authenticator.allowedActions(caller, on: name)
            let wanted = scope.actions.contains("*") ? RepositoryAction.allCases.map(\.rawValue) : scope.actions
            let actions = wanted.filter { RepositoryAction(rawValue: $0).map(allowed.contains) ?? false }
            if !actions.isEmpty { granted.append(AccessScope(type: scope.type, name: scope.name, actions: actions)) }
        }
        let settings = authenticator.settings
        let now = UnixTime.now()
        let subject = record?.user ?? ""
        // No token outlives the personal access token it was issued from; each also names it,
        // so that revoking it refuses them at once.
        func lifetime(_ wanted: Int64) -> Int64 {
            guard let expires = record?.expires else { return wanted }
            return max(0, min(wanted, expires - now))
        }
        let accessLifetime = lifetime(settings.accessTokenLifetime)
        let keys = await authenticator.keys.forSigning(now: now)
        let access = try RegistryToken(
            subject: subject, audience: settings.service, lifetime: accessLifetime, kind: .access,
            access: granted, tokenID: record?.id, now: now
        ).signed(with: keys)
        let refreshToken = try refresh ? record.map {
            try RegistryToken(
                subject: $0.user, audience: settings.service, lifetime: lifetime(settings.refreshTokenLifetime), kind: .refresh,
                access: [], tokenID: $0.id, now: now
            ).signed(with: keys)
        } : nil
        let issued = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(now)))
        let body = Answer(
            token: access, accessToken: access, expiresIn: accessLifetime, issuedAt: issued,
            refreshToken: refreshToken, scope: granted.isEmpty ? nil : granted.map(\.description).joined(separator: " "))
        return try JSONResponse.make(body, headers: [.cacheControl: "no-store"])
    }

    /// Every `scope` parameter; each may hold several scopes separated by spaces.
    static func scopes(_ values: [String]) -> [AccessScope] {
        values.flatMap { $0.split(separator: " ") }.compactMap(AccessScope.init(parsing:))
    }

    /// `application/x-www-form-urlencoded`, repeated keys kept.
    static func parseForm(_ text: String) -> [String: [String]] {
        var form: [String: [String]] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
            }
            form[decode(parts[0]), default: []].append(parts.count > 1 ? decode(parts[1]) : "")
        }
        return form
    }
}
