import Crypto
import Foundation
import Hummingbird

/// The pages' cookies. Signing in with a user name and a personal access token sets
/// `stowage_session`: a registry token of kind `session` (signed with the token signing keys,
/// so every node of a cluster accepts it) naming the personal access token, and good only
/// while that token is active: revoking the token, or disabling its user, ends the session on
/// the next request. `stowage_csrf` is a random value the forms repeat (double submit), bound to
/// the session so that a form of one session is refused in another. Both are `HttpOnly`,
/// `SameSite=Strict`, and `Secure` when the page was served over HTTPS.
struct WebSession: Sendable {
    static let sessionCookie = "stowage_session"
    static let csrfCookie = "stowage_csrf"
    /// How long a session lasts at most; never longer than its token.
    static let lifetime: Int64 = 8 * 3600

    let keys: SigningKeyring
    let audience: String

    /// The session cookie's token for `record`, expiring with the session or the token.
    func issue(for record: TokenRecord, now: Int64) async throws -> (value: String, maxAge: Int64) {
        let lifetime = min(Self.lifetime, record.expires.map { $0 - now } ?? Self.lifetime)
        let token = RegistryToken(
            subject: record.user, audience: audience, lifetime: lifetime, kind: .session, access: [], tokenID: record.id, now: now)
        return (try token.signed(with: await keys.forSigning(now: now)), lifetime)
    }

    /// The signed-in session's token, or nil for a missing, forged, expired or foreign cookie.
    /// Whether its personal access token is still active is the caller's check.
    func verify(_ value: String, now: Int64) async -> RegistryToken? {
        guard value.utf8.count <= Authenticator.maximumAuthorizationLength,
              let token = try? await keys.verify(value, audience: audience, now: now),
              token.kind == .session, token.tokenID != nil, !token.subject.isEmpty
        else { return nil }
        return token
    }

    /// A fresh random value for `stowage_csrf`.
    static func newCSRFSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return RegistryToken.base64URL(Data(PersonalAccessToken.randomBytes(24, &generator)))
    }

    /// The token forms carry: derived from the CSRF cookie and the session, which a page of
    /// another site can neither read nor choose.
    static func csrfToken(secret: String, session: String?) -> String {
        let digest = SHA256.hash(data: Data("stowage-csrf\n\(secret)\n\(session ?? "")".utf8))
        return RegistryToken.base64URL(Data(digest))
    }

    /// A cookie of the pages: the whole site, script cannot read it, never sent cross-site.
    static func cookie(_ name: String, _ value: String, maxAge: Int64?, secure: Bool) -> Cookie {
        Cookie(
            name: name, value: value, maxAge: maxAge.map { Int($0) }, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}
