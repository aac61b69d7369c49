import BlobStore
import Foundation

/// The text form of a personal access token, `stw_<id>_<secret>`: a recognisable prefix (secret
/// scanners can match it), 12 lowercase hex digits of id (6 random bytes; the database key, so a
/// lookup needs no scan), and 43 base64url characters of secret (32 random bytes from the system's
/// cryptographic generator). Only the SHA-256 of the secret is stored.
public struct PersonalAccessToken: Sendable, Equatable {
    public static let prefix = "stw_"
    static let idLength = 12
    static let secretLength = 43

    public let id: String
    let secret: String

    /// The full token string, as shown once to its owner.
    public var text: String { Self.prefix + id + "_" + secret }

    /// A fresh random token.
    static func generate() -> PersonalAccessToken {
        var generator = SystemRandomNumberGenerator()
        return PersonalAccessToken(
            id: hex(randomBytes(6, &generator)), secret: RegistryToken.base64URL(Data(randomBytes(32, &generator))))
    }

    init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    /// Splits a token string; nil if it does not have the shape of one.
    public init?(parsing text: String) {
        let utf8 = Array(text.utf8)
        let prefixLength = Self.prefix.utf8.count
        guard utf8.count == prefixLength + Self.idLength + 1 + Self.secretLength, text.hasPrefix(Self.prefix),
            utf8[prefixLength + Self.idLength] == UInt8(ascii: "_")
        else { return nil }
        let idBytes = utf8[prefixLength..<(prefixLength + Self.idLength)]
        let secretBytes = utf8[(prefixLength + Self.idLength + 1)...]
        guard idBytes.allSatisfy(Self.isLowerHex), secretBytes.allSatisfy(Self.isBase64URL) else { return nil }
        id = String(decoding: idBytes, as: UTF8.self)
        secret = String(decoding: secretBytes, as: UTF8.self)
    }

    /// SHA-256 of the secret, as stored: 64 lowercase hex digits.
    var secretHash: String { Digest.of(Array(secret.utf8)).hex }

    /// Whether the secret hashes to `storedHash`, comparing every byte whatever the first
    /// difference, so that the time taken says nothing about how much matched.
    func matches(storedHash: String) -> Bool {
        Self.constantTimeEquals(Array(secretHash.utf8), Array(storedHash.utf8))
    }

    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }

    static func randomBytes(_ count: Int, _ generator: inout SystemRandomNumberGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 8)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return Array(bytes.prefix(count))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    static func isBase64URL(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }
}
