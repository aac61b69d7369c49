import Crypto
import Foundation

/// A signed token of Docker token authentication: a JWT (HS256) whose claims name the user, the
/// service it is for, when it expires, and the access it grants. Refresh tokens (what `docker
/// login` stores) are the same format with `typ` "refresh" and the personal access token they
/// stand for, so revoking that token revokes them.
public struct RegistryToken: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case access
        case refresh
        /// The session cookie of the pages (`WebSession`): good for nothing on the API.
        case session
    }

    public var issuer: String
    public var subject: String
    public var audience: String
    public var expires: Int64
    public var notBefore: Int64
    public var issued: Int64
    public var identifier: String
    public var kind: Kind
    public var access: [AccessScope]
    /// The id of the personal access token the token was issued from (nil for an anonymous
    /// access token): the token is good only while that one is active.
    public var tokenID: String?

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", audience = "aud", expires = "exp", notBefore = "nbf", issued = "iat"
        case identifier = "jti", kind = "typ", access, tokenID = "tid"
    }

    public static let issuerName = "stowage"

    public init(subject: String, audience: String, lifetime: Int64, kind: Kind, access: [AccessScope], tokenID: String?, now: Int64) {
        issuer = Self.issuerName
        self.subject = subject
        self.audience = audience
        issued = now
        notBefore = now - 5
        expires = now + lifetime
        identifier = UUID().uuidString
        self.kind = kind
        self.access = access
        self.tokenID = tokenID
    }

    struct Header: Codable {
        var alg = "HS256"
        var typ = "JWT"
        var kid: String
    }

    public func signed(with keys: SigningKeys) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let header = try Self.base64URL(encoder.encode(Header(kid: keys.current.id)))
        let claims = try Self.base64URL(encoder.encode(self))
        let input = Data("\(header).\(claims)".utf8)
        let signature = Data(HMAC<SHA256>.authenticationCode(for: input, using: keys.current.secret))
        return "\(header).\(claims).\(Self.base64URL(signature))"
    }

    public enum VerificationError: Error, Equatable, CustomStringConvertible {
        case malformed
        case unknownKey
        case badSignature
        case expired
        case notYetValid
        case wrongAudience
        case wrongIssuer

        public var description: String {
            switch self {
            case .malformed: "token is not a well-formed JWT"
            case .unknownKey: "token is signed with an unknown key"
            case .badSignature: "token signature is invalid"
            case .expired: "token has expired"
            case .notYetValid: "token is not valid yet"
            case .wrongAudience: "token was issued for another service"
            case .wrongIssuer: "token was not issued by this registry"
            }
        }
    }

    /// Checks the signature (in constant time), issuer, audience and validity period.
    public static func verify(_ text: String, keys: SigningKeys, audience: String, now: Int64) throws(VerificationError) -> RegistryToken {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = decodeBase64URL(parts[0]), let claimsData = decodeBase64URL(parts[1]),
              let signature = decodeBase64URL(parts[2]),
              let header = try? JSONDecoder().decode(Header.self, from: headerData), header.alg == "HS256"
        else { throw .malformed }
        guard let key = keys.key(id: header.kid) else { throw .unknownKey }
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Data("\(parts[0]).\(parts[1])".utf8), using: key.secret) else {
            throw .badSignature
        }
        guard let token = try? JSONDecoder().decode(RegistryToken.self, from: claimsData) else { throw .malformed }
        guard token.issuer == issuerName else { throw .wrongIssuer }
        guard token.audience == audience else { throw .wrongAudience }
        guard now < token.expires else { throw .expired }
        guard now >= token.notBefore else { throw .notYetValid }
        return token
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: some StringProtocol) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
