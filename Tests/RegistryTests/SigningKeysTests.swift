import Foundation
import Registry
import Testing

@Suite("Token signing keys")
struct SigningKeysTests {
    @Test func rotationKeepsOldTokensValidAndSignsWithTheNewKey() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try SigningKeys.load(directory: directory)
        #expect(try FileManager.default.attributesOfItem(atPath: directory + "/signing-keys")[.posixPermissions] as? Int == 0o600)
        let now = Int64(Date().timeIntervalSince1970)
        let old = try RegistryToken(subject: "alice", audience: "stowage", lifetime: 300, kind: .access, access: [], tokenID: nil, now: now)
            .signed(with: first)

        let rotated = try SigningKeys.rotate(directory: directory)
        #expect(rotated.keys.count == 2)
        #expect(rotated.current.id != first.current.id)
        #expect(try SigningKeys.load(directory: directory).current.id == rotated.current.id)
        #expect(try RegistryToken.verify(old, keys: rotated, audience: "stowage", now: now).subject == "alice")

        // A second rotation drops the oldest key: tokens signed with it no longer verify.
        let again = try SigningKeys.rotate(directory: directory)
        #expect(throws: RegistryToken.VerificationError.unknownKey) { try RegistryToken.verify(old, keys: again, audience: "stowage", now: now) }
    }

    @Test func expiredAndNotYetValidTokensAreRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keys = try SigningKeys.load(directory: directory)
        let token = try RegistryToken(subject: "a", audience: "stowage", lifetime: 60, kind: .access, access: [], tokenID: nil, now: 1000)
            .signed(with: keys)
        #expect(throws: RegistryToken.VerificationError.expired) { try RegistryToken.verify(token, keys: keys, audience: "stowage", now: 1060) }
        #expect(throws: RegistryToken.VerificationError.notYetValid) { try RegistryToken.verify(token, keys: keys, audience: "stowage", now: 900) }
        #expect(try RegistryToken.verify(token, keys: keys, audience: "stowage", now: 1030).subject == "a")
    }
}
