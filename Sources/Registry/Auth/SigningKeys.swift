import Crypto
import Foundation

/// The keys that sign registry tokens (HMAC-SHA256), newest first. The newest signs; every
/// listed key verifies, so rotating (adding a new key and keeping the previous one) does not
/// invalidate tokens issued moments before. They live in the metadata database
/// (`SigningKeyStore`), so that every node of a cluster has the same ones.
public struct SigningKeys: Sendable {
    public struct Key: Sendable {
        public let id: String
        /// The raw secret; `SymmetricKey` itself is not Sendable in this swift-crypto.
        let bytes: Data
        var secret: SymmetricKey { SymmetricKey(data: bytes) }

        /// A fresh random key; its id is the first 6 bytes of its secret's SHA-256, in hex.
        static func generate() -> Key {
            let secret = SymmetricKey(size: .bits256)
            let bytes = secret.withUnsafeBytes { Data($0) }
            return Key(id: Data(SHA256.hash(data: bytes)).prefix(6).map { String(format: "%02x", $0) }.joined(), bytes: bytes)
        }

        /// `ID BASE64-SECRET`, as a line of the signing-keys file of registries from before the
        /// keys moved into the database; nil for anything else.
        init?(line: Substring) {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let bytes = Data(base64Encoded: String(parts[1])), bytes.count == 32 else { return nil }
            self.init(id: String(parts[0]), bytes: bytes)
        }

        init(id: String, bytes: Data) {
            self.id = id
            self.bytes = bytes
        }
    }

    /// Never empty.
    public let keys: [Key]
    public var current: Key { keys[0] }

    public func key(id: String) -> Key? { keys.first { $0.id == id } }
}
