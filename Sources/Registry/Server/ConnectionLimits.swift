import Synchronization

/// What one client may hold of the server's connections, against slow clients that would hold
/// them all: a request's headers trickled a byte at a time (slowloris), a body that stops
/// arriving, or simply hundreds of idle connections from one address.
public struct ConnectionLimits: Sendable {
    /// Seconds from a connection's start, or the end of its previous response, to the end of the
    /// next request's headers. Real clients send their headers in one go, however slow the link.
    public var headerTimeout: Int64 = 30
    /// Seconds a request body may go without a byte before the connection is closed.
    public var bodyIdleTimeout: Int64 = 120
    /// Connections one remote address may hold at once; 0 for no limit. Behind a reverse proxy
    /// every connection comes from the proxy, so it needs 0 or a limit that fits its pool.
    public var perAddress = 128

    public init() {}
}

/// The open connections per remote address, shared by every connection's `ConnectionGuard`.
final class ConnectionCounter: Sendable {
    private let open = Mutex<[String: Int]>([:])
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts a new connection from `address`; false (and nothing counted) past the limit.
    func admit(_ address: String) -> Bool {
        open.withLock { table in
            let count = table[address, default: 0]
            guard limit == 0 || count < limit else { return false }
            table[address] = count + 1
            return true
        }
    }

    func release(_ address: String) {
        open.withLock { table in
            let count = table[address, default: 1] - 1
            table[address] = count > 0 ? count : nil
        }
    }

    func count(_ address: String) -> Int { open.withLock { $0[address, default: 0] } }
}
