import Synchronization

/// Counts failed logins per (user, address) in a sliding window; past the limit, logins from that
/// pair are refused before the credentials are even checked, so guessing a token is slow.
final class LoginRateLimiter: Sendable {
    private let failures = Mutex<[String: [Int64]]>([:])
    let limit: Int
    let window: Int64

    init(limit: Int, window: Int64) {
        self.limit = limit
        self.window = window
    }

    private static func key(_ user: String, _ address: String) -> String { "\(user)\u{0}\(address)" }

    func isBlocked(user: String, address: String, now: Int64) -> Bool {
        failures.withLock { table in
            let recent = (table[Self.key(user, address)] ?? []).filter { $0 > now - window }
            table[Self.key(user, address)] = recent.isEmpty ? nil : recent
            return recent.count >= limit
        }
    }

    func recordFailure(user: String, address: String, now: Int64) {
        failures.withLock { $0[Self.key(user, address), default: []].append(now) }
    }
}
