import Synchronization

/// The signing keys a node holds, kept in step with the database: a token signed with a key
/// this node has not seen yet (another node rotated) makes it read the keys again, at most once
/// a second, and signing reads them again once they are `refreshInterval` old, so that after a
/// rotation every node signs with the new key within that time.
public final class SigningKeyring: Sendable {
    public static let refreshInterval: Int64 = 60

    private struct State {
        var keys: SigningKeys
        var loaded: Int64
    }

    private let store: SigningKeyStore
    private let state: Mutex<State>

    init(store: SigningKeyStore, keys: SigningKeys, now: Int64) {
        self.store = store
        state = Mutex(State(keys: keys, loaded: now))
    }

    /// The keys as this node knows them now.
    public var keys: SigningKeys { state.withLock { $0.keys } }

    /// The keys to sign with: read again first if they are older than `refreshInterval`. A
    /// database that does not answer leaves the keys this node has.
    func forSigning(now: Int64) async -> SigningKeys {
        let (keys, loaded) = state.withLock { ($0.keys, $0.loaded) }
        guard now - loaded >= Self.refreshInterval else { return keys }
        return (try? await reload(now: now)) ?? keys
    }

    /// Verifies `text`; a token signed by a key unknown here makes the keys be read again (at
    /// most once a second), and is verified against them.
    /// Throws `RegistryToken.VerificationError`; untyped because Swift 6.3 miscompiles async
    /// frames with typed throws.
    func verify(_ text: String, audience: String, now: Int64) async throws -> RegistryToken {
        do {
            return try RegistryToken.verify(text, keys: keys, audience: audience, now: now)
        } catch .unknownKey {
            let loaded = state.withLock { $0.loaded }
            guard now != loaded, let fresh = try? await reload(now: now) else { throw RegistryToken.VerificationError.unknownKey }
            return try RegistryToken.verify(text, keys: fresh, audience: audience, now: now)
        }
    }

    private func reload(now: Int64) async throws -> SigningKeys {
        let keys = try await store.load()
        state.withLock { $0 = State(keys: keys, loaded: now) }
        return keys
    }
}
