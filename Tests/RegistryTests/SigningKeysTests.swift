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

    /// A crash mid-rotation leaves `signing-keys.tmp`, perhaps torn: loading removes it and
    /// keeps the keys the last complete rotation wrote.
    @Test func aLeftoverTemporaryFileIsRemovedAtLoadAndNeverBecomesTheKeys() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keys = try SigningKeys.load(directory: directory)
        let torn = directory + "/signing-keys.tmp"
        try Data("0123456789ab c2VjcmV0IGJ1dCB0b3Ju".utf8).write(to: URL(fileURLWithPath: torn))

        let loaded = try SigningKeys.load(directory: directory)
        #expect(loaded.keys.map(\.id) == keys.keys.map(\.id))
        #expect(!FileManager.default.fileExists(atPath: torn))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["signing-keys"])
    }

    /// Rotation replaces the file through the engine's durable helper (docs/FORMAT.md, "Data
    /// directory"): nothing of its temporary file is left, and the file keeps mode 0600.
    @Test func rotationLeavesOnlyTheKeysFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try SigningKeys.load(directory: directory)
        let rotated = try SigningKeys.rotate(directory: directory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["signing-keys"])
        #expect(try FileManager.default.attributesOfItem(atPath: directory + "/signing-keys")[.posixPermissions] as? Int == 0o600)
        #expect(try SigningKeys.load(directory: directory).keys.map(\.id) == rotated.keys.map(\.id))
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
