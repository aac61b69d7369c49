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

    let accounts: any AccountStore
    let settings: AuthSettings
    let keys: SigningKeys
    let limiter: LoginRateLimiter
    let logger: Logger

    init(accounts: any AccountStore, settings: AuthSettings, keys: SigningKeys, logger: Logger) {
        self.accounts = accounts
        self.settings = settings
        self.keys = keys
        self.limiter = LoginRateLimiter(limit: settings.maximumFailures, window: settings.failureWindow)
        self.logger = logger
    }

    /// The caller of `request`. Credentials that are present but wrong are an error (401), never
    /// a silent fall back to anonymous.
    func caller(_ request: Request, address: String) async throws -> Caller {
        guard let authorization = request.headers[.authorization] else { return .anonymous }
        if authorization.lowercased().hasPrefix("bearer ") {
            do {
                let token = try RegistryToken.verify(
                    String(authorization.dropFirst(7)), keys: keys, audience: settings.service, now: UnixTime.now())
                guard token.kind == .access else { throw RegistryToken.VerificationError.malformed }
                return .bearer(token)
            } catch {
                throw unauthorized(request, scope: nil, reason: "bearer token refused: \(error)")
            }
        }
        guard let (user, secret) = Self.basicCredentials(authorization) else {
            throw unauthorized(request, scope: nil, reason: "unsupported Authorization scheme")
        }
        return .basic(try await login(user: user, secret: secret, address: address, request: request))
    }

    /// Checks a user name and personal access token, rate-limited per user and address.
    func login(user: String, secret: String, address: String, request: Request) async throws -> TokenRecord {
        let now = UnixTime.now()
        if limiter.isBlocked(user: user, address: address, now: now) {
            logger.warning("login refused: too many failures", metadata: ["user": "\(user)", "address": "\(address)"])
            throw RegistryError(.tooManyRequests, .tooManyRequests, "too many failed logins; try again later")
        }
        guard let record = try await accounts.authenticate(user: user, token: secret) else {
            limiter.recordFailure(user: user, address: address, now: now)
            logger.notice("login failed", metadata: ["user": "\(user)", "address": "\(address)"])
            throw unauthorized(request, scope: nil, reason: "invalid user name or token")
        }
        return record
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

    /// Refuses unless the caller holds every action on the repository: 401 with a challenge
    /// for a caller who could get a better token, 403 for one who has authenticated directly.
    func require(_ actions: [RepositoryAction], on repository: RepositoryName, caller: Caller, request: Request) async throws {
        let allowed = try await allowedActions(caller, on: repository)
        guard !actions.allSatisfy(allowed.contains) else { return }
        let scope = AccessScope(type: "repository", name: repository.description, actions: actions.map(\.rawValue))
        switch caller {
        case .basic:
            throw RegistryError(.forbidden, .denied, "requested access to the resource is denied")
        case .anonymous, .bearer:
            throw unauthorized(request, scope: scope, reason: "authentication required")
        }
    }

    /// 401 UNAUTHORIZED with the Bearer challenge that tells the client where to get a token.
    func unauthorized(_ request: Request, scope: AccessScope?, reason: String) -> RegistryError {
        let host = request.head.authority ?? "localhost"
        var challenge = "Bearer realm=\"http://\(host)/token\",service=\"\(settings.service)\""
        if let scope { challenge += ",scope=\"\(scope.description)\"" }
        return RegistryError(.unauthorized, .unauthorized, reason, headers: [.wwwAuthenticate: challenge])
    }

    /// `Basic base64(user:secret)`.
    static func basicCredentials(_ header: String) -> (user: String, secret: String)? {
        guard header.lowercased().hasPrefix("basic "), let data = Data(base64Encoded: String(header.dropFirst(6))),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
