import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Who a request comes from and what it may do: Bearer tokens this registry signed, Basic
/// credentials (user name and personal access token) straight on the API, or nobody. Secrets
/// never reach a log line or an error body.
struct Authenticator: Sendable {
    enum Caller: Sendable {
        case anonymous
        /// A verified access token: it carries the grants.
        case bearer(RegistryToken)
        /// A personal access token presented with Basic: grants come from the accounts.
        case basic(TokenRecord)
    }

    let accounts: AccountService
    let settings: AuthSettings
    let keys: SigningKeyring
    let limiter: LoginRateLimiter
    let logger: Logger
    /// Where clients are sent for tokens: `public_url` when configured, else built from a
    /// checked `Host` header or the address the server listens on.
    let realm: TokenRealm
    /// Login failures and refused tokens are logged, but not a line per request of a flood.
    let logThrottle = LogThrottle()

    /// Longer credentials than these are refused before anything else is done with them: no
    /// real one comes close (a personal access token is 60 characters, a user name at most 64,
    /// this registry's JWTs a few hundred bytes per repository granted), and a request must not
    /// make the server hash, store or log megabytes.
    static let maximumAuthorizationLength = 16 * 1024
    static let maximumSecretLength = 256

    init(accounts: AccountService, settings: AuthSettings, keys: SigningKeyring, realm: TokenRealm, logger: Logger) {
        self.accounts = accounts
        self.settings = settings
        self.keys = keys
        self.realm = realm
        self.limiter = LoginRateLimiter(
            limit: settings.maximumFailures, window: settings.failureWindow, maximumDelay: settings.maximumBackoff)
        self.logger = logger
    }

    /// The caller of `request`. Credentials that are present but wrong are an error (401), never
    /// a silent fall back to anonymous.
    func caller(_ request: Request, address: String) async throws -> Caller {
        guard let authorization = request.headers[.authorization] else { return .anonymous }
        guard authorization.utf8.count <= Self.maximumAuthorizationLength else {
            throw unauthorized(request, scope: nil, reason: "the Authorization header is too long")
        }
        if authorization.lowercased().hasPrefix("bearer ") {
            return .bearer(try await bearer(String(authorization.dropFirst(7)), request: request, address: address))
        }
        guard let (user, secret) = Self.basicCredentials(authorization) else {
            throw unauthorized(request, scope: nil, reason: "unsupported Authorization scheme")
        }
        return .basic(try await login(user: user, secret: secret, address: address, request: request))
    }

    /// An access token this registry signed, still valid, whose personal access token is still
    /// active: revoking that token, or disabling its user, refuses the access tokens issued
    /// from it at once, not when they run out.
    private func bearer(_ text: String, request: Request, address: String) async throws -> RegistryToken {
        let now = UnixTime.now()
        let refusal: String
        do {
            let token = try await keys.verify(text, audience: settings.service, now: now)
            guard token.kind == .access else { throw RegistryToken.VerificationError.malformed }
            if token.subject.isEmpty { return token }
            // A signed-in user's access token always names its personal access token.
            if let id = token.tokenID, try await accounts.activeToken(id: id, at: now)?.user == token.subject {
                RequestNotes.current?.user = token.subject
                return token
            }
            refusal = "bearer token refused: its personal access token is revoked or expired, or its user disabled"
        } catch let error as RegistryToken.VerificationError {
            refusal = "bearer token refused: \(error)"
        }
        logger.throttled(.notice, "bearer token refused", metadata: ["address": "\(address)", "reason": "\(refusal)"], by: logThrottle)
        throw unauthorized(request, scope: nil, reason: refusal)
    }

    /// Checks a user name and personal access token. A credential that keeps failing is backed
    /// off (429 with `Retry-After`) before it is checked; other credentials are not affected.
    func login(user: String, secret: String, address: String, request: Request) async throws -> TokenRecord {
        let shownUser = LogText.userName(user)
        guard user.utf8.count <= AccountName.maximumLength, secret.utf8.count <= Self.maximumSecretLength else {
            logger.throttled(.notice, "login refused: credentials too long", metadata: ["user": "\(shownUser)", "address": "\(address)"], by: logThrottle)
            throw unauthorized(request, scope: nil, reason: "invalid user name or token")
        }
        let now = UnixTime.now()
        let key = LoginRateLimiter.key(user: user, address: address, secret: secret)
        if let wait = limiter.retryAfter(key, now: now) {
            logger.throttled(.warning, "login refused: the same credential failed too often", metadata: ["user": "\(shownUser)", "address": "\(address)"], by: logThrottle)
            throw RegistryError(
                .tooManyRequests, .tooManyRequests, "this user name and token failed too often from this address; retry after \(wait) s",
                headers: [.retryAfter: "\(wait)"])
        }
        guard let record = try await accounts.authenticate(user: user, token: secret) else {
            limiter.recordFailure(key, now: now)
            logger.throttled(.notice, "login failed", metadata: ["user": "\(shownUser)", "address": "\(address)"], by: logThrottle)
            throw unauthorized(request, scope: nil, reason: "invalid user name or token")
        }
        limiter.recordSuccess(key)
        RequestNotes.current?.user = record.user
        return record
    }

    /// Whom the catalog is listed for. A bearer token carrying the catalog grant
    /// (`registry:catalog:*`, what `podman search` asks the token endpoint for) stands for its
    /// user with the scopes of its personal access token, so that a signed-in user sees every
    /// repository they may pull; a bearer token without it, only public ones.
    func catalogViewer(_ caller: Caller) async throws -> Caller {
        guard case .bearer(let token) = caller else { return caller }
        guard token.access.contains(where: AccessScope.isCatalog), let id = token.tokenID,
              let record = try await accounts.activeToken(id: id, at: UnixTime.now()), record.user == token.subject
        else { return .anonymous }
        return .basic(record)
    }

    /// The actions of `repository` the caller holds.
    func allowedActions(_ caller: Caller, on repository: RepositoryName) async throws -> Set<RepositoryAction> {
        switch caller {
        case .bearer(let token):
            let granted = token.access.filter { $0.type == "repository" && $0.name == repository.description }
            return Set(granted.flatMap(\.actions).compactMap(RepositoryAction.init(rawValue:)))
        case .basic(let record):
            return try await accounts.allowedActions(user: record.user, repository: repository, scopes: record.scopes)
        case .anonymous:
            return try await accounts.allowedActions(user: nil, repository: repository, scopes: [])
        }
    }

    /// Refuses unless the caller holds every action on the repository. Nobody signed in: 401
    /// with a challenge, so the client logs in. A signed-in caller whose token cannot grant it:
    /// 401 with `error="insufficient_scope"` for a bearer token (docker, podman and ctr then stop
    /// at once instead of retrying), 403 DENIED for Basic credentials; either way the message
    /// says what is missing.
    func require(_ actions: [RepositoryAction], on repository: RepositoryName, caller: Caller, request: Request) async throws {
        let allowed = try await allowedActions(caller, on: repository)
        let missing = actions.filter { !allowed.contains($0) }
        guard !missing.isEmpty else { return }
        let scope = AccessScope(type: "repository", name: repository.description, actions: actions.map(\.rawValue))
        switch caller {
        case .anonymous:
            throw unauthorized(request, scope: scope, reason: "authentication required")
        case .bearer(let token) where token.subject.isEmpty:
            throw unauthorized(request, scope: scope, reason: "authentication required")
        case .bearer(let token):
            var scopes: Set<Scope> = []
            if let id = token.tokenID { scopes = try await accounts.activeToken(id: id, at: UnixTime.now())?.scopes ?? [] }
            let reason = try await denial(user: token.subject, scopes: scopes, missing: missing, on: repository)
            throw unauthorized(request, scope: scope, reason: reason, error: "insufficient_scope")
        case .basic(let record):
            throw RegistryError(.forbidden, .denied, try await denial(user: record.user, scopes: record.scopes, missing: missing, on: repository))
        }
    }

    /// Why `user` with a token of `scopes` may not do `missing` to `repository`, in the words a
    /// client shows its user: the owner does not exist, the token lacks a scope, or the user
    /// lacks the right.
    private func denial(user: String, scopes: Set<Scope>, missing: [RepositoryAction], on repository: RepositoryName) async throws -> String {
        let verbs = missing.map(\.rawValue).joined(separator: " and ")
        let owner = String(repository.owner)
        if try await accounts.store.user(named: owner) == nil, try await accounts.store.organisation(named: owner) == nil {
            let example = repository.components.count == 1 ? "\(user)/\(repository)" : "\(user)/\(repository.components.dropFirst().joined(separator: "/"))"
            return "there is no user or organisation named '\(owner)': repository names start with their owner, OWNER/IMAGE (such as \(example))"
        }
        if let scope = missing.map(AccessPolicy.requiredScope(for:)).first(where: { !Scope.effective(scopes).contains($0) }) {
            return "the token of '\(user)' lacks the \(scope.rawValue) scope needed to \(verbs) \(repository)"
        }
        return "'\(user)' may not \(verbs) \(repository): only its owner, members of the organisation with that right and site administrators may"
    }

    /// Refuses unless the caller signed in with Basic credentials as a site administrator, with
    /// a token holding `scope` (nil: any scope). The role alone is not enough: a site
    /// administrator's read-only token must not run what a delete token runs.
    func requireAdministrator(_ caller: Caller, scope: Scope?, for action: String, request: Request) async throws {
        guard case .basic(let record) = caller else {
            throw unauthorized(request, scope: nil, reason: "\(action) needs a site administrator's personal access token")
        }
        guard try await accounts.store.user(named: record.user)?.isAdmin == true else {
            throw RegistryError(.forbidden, .denied, "only a site administrator may \(action)")
        }
        if let scope, !Scope.effective(record.scopes).contains(scope) {
            throw RegistryError(.forbidden, .denied, "\(action) needs a token with the \(scope.rawValue) scope")
        }
    }

    /// 401 UNAUTHORIZED with the Bearer challenge that tells the client where to get a token;
    /// `error` (RFC 6750: `insufficient_scope`) tells it that a new token will not help.
    func unauthorized(_ request: Request, scope: AccessScope?, reason: String, error: String? = nil) -> RegistryError {
        var parameters = [("realm", realm.url(for: request)), ("service", settings.service)]
        if let scope { parameters.append(("scope", scope.description)) }
        if let error { parameters.append(("error", error)) }
        let challenge = "Bearer " + parameters.map { "\($0)=\(Self.quoted($1))" }.joined(separator: ",")
        return RegistryError(.unauthorized, .unauthorized, reason, headers: [.wwwAuthenticate: challenge])
    }

    /// An RFC 9110 quoted-string: `"` and `\` escaped, so no value can end the string early and
    /// add parameters of its own.
    static func quoted(_ value: String) -> String {
        var result = "\""
        for character in value {
            if character == "\"" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result + "\""
    }

    /// `Basic base64(user:secret)`.
    static func basicCredentials(_ header: String) -> (user: String, secret: String)? {
        guard header.lowercased().hasPrefix("basic "), let data = Data(base64Encoded: String(header.dropFirst(6))),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
