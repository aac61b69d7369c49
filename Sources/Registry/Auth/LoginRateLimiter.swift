import BlobStore
import Synchronization

/// Backs off a credential that keeps failing: after `limit` failures of the same user name,
/// address and secret within `window` seconds, that credential is refused with a delay that
/// doubles with every further failure, up to `maximumDelay`, before it is even checked.
///
/// The key includes a hash of the secret so that a stale token in one CI job never locks out the
/// correct token of the same user on the same build host: only the credential that fails waits.
/// That gives a guesser nothing, since a token's 32 random bytes are not guessable in any number
/// of tries; what the back-off buys is that a client stuck on a bad credential stops costing a
/// database lookup and a log line per request.
///
/// The table is bounded: entries expire once their window and delay have passed, and at
/// `capacity` the oldest half is dropped, so a flood of distinct names or addresses cannot grow
/// the server's memory. (An attacker who floods it can at worst make the back-off forget a
/// failing credential early.)
final class LoginRateLimiter: Sendable {
    struct Key: Hashable {
        let user: String
        let address: String
        let secret: Digest
    }

    private struct Entry {
        var failures: Int
        var windowStart: Int64
        var lastFailure: Int64
        var retryAt: Int64
    }

    let limit: Int
    let window: Int64
    let maximumDelay: Int64
    let capacity: Int
    private let entries = Mutex<[Key: Entry]>([:])

    init(limit: Int, window: Int64, maximumDelay: Int64, capacity: Int = 10_000) {
        self.limit = max(limit, 1)
        self.window = window
        self.maximumDelay = maximumDelay
        self.capacity = capacity
    }

    static func key(user: String, address: String, secret: String) -> Key {
        Key(user: user, address: address, secret: Digest.of(Array(secret.utf8)))
    }

    /// Seconds the credential must still wait, or nil if it may be checked now.
    func retryAfter(_ key: Key, now: Int64) -> Int64? {
        entries.withLock { table in
            guard let entry = table[key], entry.retryAt > now else { return nil }
            return entry.retryAt - now
        }
    }

    /// Counts a failure of the credential; returns the delay it now has to wait, if any.
    @discardableResult
    func recordFailure(_ key: Key, now: Int64) -> Int64? {
        entries.withLock { table in
            var entry = table[key] ?? Entry(failures: 0, windowStart: now, lastFailure: now, retryAt: 0)
            if now - entry.windowStart > window && entry.retryAt <= now {
                entry = Entry(failures: 0, windowStart: now, lastFailure: now, retryAt: 0)
            }
            entry.failures += 1
            entry.lastFailure = now
            var delay: Int64?
            if entry.failures >= limit {
                // 1, 2, 4, ... seconds; the shift is capped long before it could overflow.
                delay = min(Int64(1) << min(entry.failures - limit, 30), maximumDelay)
                entry.retryAt = now + delay!
            }
            if table[key] == nil, table.count >= capacity { evict(&table, now: now) }
            table[key] = entry
            return delay
        }
    }

    /// A correct login forgets the credential's failures.
    func recordSuccess(_ key: Key) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }

    var count: Int { entries.withLock { $0.count } }

    /// Drops the entries whose window and delay have passed and, if the table is still full,
    /// the older half by last failure: O(n log n) once per `capacity / 2` new entries.
    private func evict(_ table: inout [Key: Entry], now: Int64) {
        table = table.filter { now - $0.value.lastFailure <= window || $0.value.retryAt > now }
        guard table.count >= capacity else { return }
        let keep = table.sorted { $0.value.lastFailure > $1.value.lastFailure }.prefix(capacity / 2)
        table = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }
}
