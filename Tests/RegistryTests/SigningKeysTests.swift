import Foundation
@testable import Registry
import TestSupport
import Testing

@Suite("Token signing keys (SQLite and PostgreSQL)")
struct SigningKeysTests {
    @Test(arguments: DatabaseBackend.databases) func rotationKeepsOldTokensValidAndSignsWithTheNewKey(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = SigningKeyStore(database: try await database.openDatabase())
        let first = try await store.load()
        #expect(first.keys.count == 1)
        #expect(try await store.load().current.id == first.current.id)
        let now = Int64(Date().timeIntervalSince1970)
        let old = try RegistryToken(subject: "alice", audience: "stowage", lifetime: 300, kind: .access, access: [], tokenID: nil, now: now)
            .signed(with: first)

        let rotated = try await store.rotate()
        #expect(rotated.keys.count == 2)
        #expect(rotated.current.id != first.current.id)
        #expect(try await store.load().current.id == rotated.current.id)
        #expect(try RegistryToken.verify(old, keys: rotated, audience: "stowage", now: now).subject == "alice")

        // A second rotation drops the oldest key: tokens signed with it no longer verify.
        let again = try await store.rotate()
        #expect(again.keys.map(\.id) == [again.current.id, rotated.current.id])
        #expect(throws: RegistryToken.VerificationError.unknownKey) { try RegistryToken.verify(old, keys: again, audience: "stowage", now: now) }
    }

    /// Two nodes: one rotates; the other verifies a token signed with the new key at once, and
    /// signs with it once its keys are `refreshInterval` old.
    @Test(arguments: DatabaseBackend.databases) func aKeyRotatedOnOneNodeIsKnownToTheOther(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = SigningKeyStore(database: try await database.openDatabase())
        let otherStore = SigningKeyStore(database: try await database.openDatabase())
        let now = Int64(Date().timeIntervalSince1970)
        let other = SigningKeyring(store: otherStore, keys: try await otherStore.load(), now: now - 5)
        let rotated = try await store.rotate()
        let token = try RegistryToken(subject: "alice", audience: "stowage", lifetime: 300, kind: .access, access: [], tokenID: nil, now: now)
            .signed(with: rotated)

        #expect(try await other.verify(token, audience: "stowage", now: now).subject == "alice")
        #expect(await other.forSigning(now: now).current.id == rotated.current.id)
    }

    /// A registry from before the keys moved into the database kept them in a file: its keys
    /// are taken over, newest first, so that its tokens stay valid.
    @Test(arguments: DatabaseBackend.databases) func keysOfTheOldFileAreTakenOver(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let directory = database.directory + "/auth"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let newest = SigningKeys.Key.generate(), previous = SigningKeys.Key.generate()
        let lines = [newest, previous].map { "\($0.id) \($0.bytes.base64EncodedString())" }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: directory + "/signing-keys"))

        let store = SigningKeyStore(database: try await database.openDatabase())
        #expect(try await store.load(importing: directory).keys.map(\.id) == [newest.id, previous.id])
        // Taken over once: the database holds them now, whatever the file says.
        try FileManager.default.removeItem(atPath: directory + "/signing-keys")
        #expect(try await store.load(importing: directory).keys.map(\.id) == [newest.id, previous.id])
    }

    @Test func expiredAndNotYetValidTokensAreRefused() throws {
        let keys = SigningKeys(keys: [.generate()])
        let token = try RegistryToken(subject: "a", audience: "stowage", lifetime: 60, kind: .access, access: [], tokenID: nil, now: 1000)
            .signed(with: keys)
        #expect(throws: RegistryToken.VerificationError.expired) { try RegistryToken.verify(token, keys: keys, audience: "stowage", now: 1060) }
        #expect(throws: RegistryToken.VerificationError.notYetValid) { try RegistryToken.verify(token, keys: keys, audience: "stowage", now: 900) }
        #expect(try RegistryToken.verify(token, keys: keys, audience: "stowage", now: 1030).subject == "a")
    }
}
