import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The PostgreSQL server the tests run against: the one `STOWAGE_TEST_POSTGRES_URL` names
/// (`.ci/run` starts one with Tools/postgres-test-cluster.sh), or else a private cluster this
/// test process starts with that script on first use and stops when it exits. Each test makes a
/// database of its own on it (`PostgresTestCluster.url(database:)`).
public enum PostgresTestCluster {
    /// The superuser's URL, to the `postgres` maintenance database.
    public static var adminURL: String {
        get throws {
            try started.withLock { state in
                if let url = state.url { return url }
                if let url = ProcessInfo.processInfo.environment["STOWAGE_TEST_POSTGRES_URL"], !url.isEmpty {
                    state.url = url
                    return url
                }
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-postgres-\(getpid())").path
                let port = try freePort()
                let run = try ChildRun.run(script, ["start", directory, String(port)])
                guard run.status == 0 else { throw Spawned.Failure(description: "starting PostgreSQL: \(run)") }
                let url = run.output.trimmingCharacters(in: .whitespacesAndNewlines)
                state.url = url
                state.directory = directory
                PostgresTestCluster.stopAtExit
                return url
            }
        }
    }

    /// A new, empty database on the server, by `psql`; returns its URL. The first call starts
    /// the server. Both wait for child processes, on a thread of their own: on the cooperative
    /// pool (two threads here) a suite's worth of them would stall every other test.
    public static func createDatabase(prefix: String = "stowage_test") async throws -> String {
        try await offPool { try createDatabaseNow(prefix: prefix) }
    }

    /// Runs `work`, which blocks, on a thread of its own.
    public static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    private static func createDatabaseNow(prefix: String) throws -> String {
        let name = prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let run = try ChildRun.run(URL(fileURLWithPath: "/usr/bin/psql"), [
            try adminURL, "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE \(name) TEMPLATE template0",
        ])
        guard run.status == 0 else { throw Spawned.Failure(description: "creating a PostgreSQL database: \(run)") }
        return try url(database: name)
    }

    /// A cluster of the caller's own, to stop and start again (the fault tests); removed when
    /// the test process exits.
    public final class Private: Sendable {
        public let url: String
        let directory: String
        let port: Int

        private init(directory: String, port: Int, url: String) {
            self.directory = directory
            self.port = port
            self.url = url
        }

        /// A new cluster, started.
        public static func start() async throws -> Private {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-postgres-\(UUID().uuidString)").path
            let port = try PostgresTestCluster.freePort()
            PostgresTestCluster.privateClusters.withLock { $0.append(directory) }
            PostgresTestCluster.stopAtExit
            return Private(directory: directory, port: port, url: try await offPool { try start(directory, port) })
        }

        /// Stops the server at once, as a crash would (immediate shutdown: no checkpoint).
        public func kill() async throws {
            let directory = directory
            let run = try await offPool { try ChildRun.run(PostgresTestCluster.script, ["kill", directory]) }
            guard run.status == 0 else { throw Spawned.Failure(description: "stopping PostgreSQL: \(run)") }
        }

        public func restart() async throws {
            let directory = directory, port = port
            _ = try await offPool { try Self.start(directory, port) }
        }

        private static func start(_ directory: String, _ port: Int) throws -> String {
            let run = try ChildRun.run(PostgresTestCluster.script, ["start", directory, String(port)])
            guard run.status == 0 else { throw Spawned.Failure(description: "starting PostgreSQL: \(run)") }
            return run.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// The URL of `database` on the same server.
    public static func url(database: String) throws -> String {
        let admin = try adminURL
        guard let slash = admin.range(of: "/", options: .backwards) else { return admin }
        return admin[..<slash.lowerBound] + "/" + database
    }

    /// The project's script, found from this file's place in the tree.
    public static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tools/postgres-test-cluster.sh")

    private struct State {
        var url: String?
        var directory: String?
    }

    private static let started = Mutex(State())
    private static let privateClusters = Mutex<[String]>([])

    /// Registers `stopAll` to run at exit, once.
    static let stopAtExit: Void = { atexit { PostgresTestCluster.stopAll() } }()

    /// At exit: every cluster this process started goes, with its files.
    private static func stopAll() {
        let directories = privateClusters.withLock { $0 } + [started.withLock { $0.directory }].compactMap { $0 }
        for directory in directories {
            _ = try? ChildRun.run(script, ["kill", directory])
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// A loopback port below the ephemeral range that nothing listens on now, with the
    /// `following` ports after it free too (radosgw's monitor takes two more). Below the
    /// ephemeral range, so that a server another test starts on port 0 cannot be given it
    /// between this check and the bind of the program it is for.
    public static func freePort(following: Int = 0) throws -> Int {
        for _ in 0..<50 {
            let port = Int.random(in: 20000..<32000)
            if (port...(port + following)).allSatisfy(isFree) { return port }
        }
        throw Spawned.Failure(description: "no free loopback port for a test server")
    }

    private static func isFree(_ port: Int) -> Bool {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0
    }
}
