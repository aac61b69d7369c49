import BlobStore
import Crypto
import Foundation

/// The keys that sign registry tokens (HMAC-SHA256), kept in `DATA/auth/signing-keys` with mode
/// 0600, newest first. The newest signs; every listed key verifies, so rotating (adding a new key
/// and keeping the previous one) does not invalidate tokens issued moments before. The file is
/// replaced the way the engine replaces its own (docs/FORMAT.md, "Signing keys").
public struct SigningKeys: Sendable {
    public struct Key: Sendable {
        public let id: String
        /// The raw secret; `SymmetricKey` itself is not Sendable in this swift-crypto.
        let bytes: Data
        var secret: SymmetricKey { SymmetricKey(data: bytes) }
    }

    public let keys: [Key]
    public var current: Key { keys[0] }

    public func key(id: String) -> Key? { keys.first { $0.id == id } }

    /// Loads the keys, creating the file with one fresh key if there is none. What a rotation
    /// that crashed left (`signing-keys.tmp`, perhaps torn) is removed first, unread.
    public static func load(directory: String) throws -> SigningKeys {
        let path = directory + "/signing-keys"
        if FileManager.default.fileExists(atPath: directory) { try DurableFile.removeLeftovers(in: directory) }
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let keys = text.split(separator: "\n").compactMap { line -> Key? in
                let parts = line.split(separator: " ")
                guard parts.count == 2, let bytes = Data(base64Encoded: String(parts[1])), bytes.count == 32 else { return nil }
                return Key(id: String(parts[0]), bytes: bytes)
            }
            if !keys.isEmpty { return SigningKeys(keys: keys) }
        }
        return try rotate(directory: directory)
    }

    /// Adds a new signing key in front and keeps the previous one for verification.
    @discardableResult
    public static func rotate(directory: String) throws -> SigningKeys {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // A leftover temporary file would keep its own mode through the replacement's O_TRUNC.
        try DurableFile.removeLeftovers(in: directory)
        let path = directory + "/signing-keys"
        let previous = (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").first.map(String.init)
        let secret = SymmetricKey(size: .bits256)
        let id = secret.withUnsafeBytes { Data(SHA256.hash(data: $0)).prefix(6).map { String(format: "%02x", $0) }.joined() }
        let line = "\(id) \(secret.withUnsafeBytes { Data($0).base64EncodedString() })"
        let text = ([line] + (previous.map { [$0] } ?? [])).joined(separator: "\n") + "\n"
        try DurableFile.replace(path, with: Array(text.utf8), mode: 0o600)
        return try load(directory: directory)
    }
}
