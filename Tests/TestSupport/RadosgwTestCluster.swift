import Foundation
import ObjectStore
import Synchronization

/// The S3-compatible store the cluster tests run against: the radosgw `STOWAGE_TEST_S3_ENDPOINT`
/// names (with `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`), or else a private one-node Ceph
/// cluster this test process starts with Tools/radosgw-test-cluster.sh on first use (about ten
/// seconds) and kills when it exits. Each test makes a bucket of its own on it.
public enum RadosgwTestCluster {
    public struct Endpoint: Sendable {
        public let url: String
        public let accessKeyID: String
        public let secretAccessKey: String
    }

    /// The store, started on first use; waits off the cooperative pool.
    public static func endpoint() async throws -> Endpoint {
        try await PostgresTestCluster.offPool { try shared }
    }

    /// A new, empty bucket on the store (which starts on first use).
    public static func freshBucket() async throws -> Bucket {
        try await create(Bucket(endpoint: try await endpoint(), name: bucketName()))
    }

    private static func create(_ bucket: Bucket) async throws -> Bucket {
        let client = S3Client(settings: bucket.settings)
        do {
            try await client.createBucket()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return bucket
    }

    /// A bucket of the test store and what reaches it.
    public struct Bucket: Sendable {
        public let endpoint: Endpoint
        public let name: String

        public var settings: S3Settings {
            S3Settings(
                endpoint: try! S3Endpoint(endpoint.url), bucket: name,
                credentials: S3Credentials(accessKeyID: endpoint.accessKeyID, secretAccessKey: endpoint.secretAccessKey))
        }

        /// Its objects and their bytes, listed now.
        public func usage() async throws -> (objects: Int, bytes: UInt64) {
            let client = S3Client(settings: settings)
            do {
                let objects = try await client.allObjects()
                try await client.shutdown()
                return (objects.count, objects.reduce(0) { $0 + $1.size })
            } catch {
                try? await client.shutdown()
                throw error
            }
        }

        /// `stowage serve`'s variables for it.
        public var environment: [String: String] {
            [
                "STOWAGE_STORAGE_S3_ENDPOINT": endpoint.url, "STOWAGE_STORAGE_S3_BUCKET": name,
                "AWS_ACCESS_KEY_ID": endpoint.accessKeyID, "AWS_SECRET_ACCESS_KEY": endpoint.secretAccessKey,
            ]
        }
    }

    /// A fresh bucket name, unique in this run.
    public static func bucketName(_ prefix: String = "stowage-test") -> String {
        prefix + "-" + UUID().uuidString.lowercased().prefix(18)
    }

    private static var shared: Endpoint {
        get throws {
            try state.withLock { state in
                if let endpoint = state.endpoint { return endpoint }
                let environment = ProcessInfo.processInfo.environment
                if let url = environment["STOWAGE_TEST_S3_ENDPOINT"], !url.isEmpty,
                    let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"]
                {
                    state.endpoint = Endpoint(url: url, accessKeyID: key, secretAccessKey: secret)
                    return state.endpoint!
                }
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-radosgw-\(getpid())").path
                state.directory = directory
                _ = RadosgwTestCluster.killAtExit
                let endpoint = try start(directory: directory, port: try PostgresTestCluster.freePort(following: 2))
                state.endpoint = endpoint
                return endpoint
            }
        }
    }

    /// Starts (or restarts) the cluster in `directory`; parses the script's
    /// `URL AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=…` line.
    static func start(directory: String, port: Int) throws -> Endpoint {
        let run = try ChildRun.run(script, ["start", directory, String(port)])
        let words = run.output.split(whereSeparator: \.isWhitespace).map(String.init)
        guard run.status == 0, words.count == 3,
            let key = words[1].split(separator: "=", maxSplits: 1).last,
            let secret = words[2].split(separator: "=", maxSplits: 1).last
        else { throw Spawned.Failure(description: "starting radosgw: \(run)") }
        return Endpoint(url: words[0], accessKeyID: String(key), secretAccessKey: String(secret))
    }

    /// A one-node Ceph cluster of the caller's own, whose gateway the fault tests stop and start
    /// again; killed and removed when the test process exits.
    public final class Private: Sendable {
        public let endpoint: Endpoint
        let directory: String

        private init(directory: String, endpoint: Endpoint) {
            self.directory = directory
            self.endpoint = endpoint
        }

        /// A new cluster, started (about ten seconds).
        public static func start() async throws -> Private {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-radosgw-\(UUID().uuidString)").path
            let endpoint = try await PostgresTestCluster.offPool {
                // Off the pool: the shared cluster's first start holds the lock for seconds.
                RadosgwTestCluster.state.withLock { $0.privateDirectories.append(directory) }
                _ = RadosgwTestCluster.killAtExit
                return try RadosgwTestCluster.start(directory: directory, port: try PostgresTestCluster.freePort(following: 2))
            }
            return Private(directory: directory, endpoint: endpoint)
        }

        /// A bucket on this store.
        public func freshBucket() async throws -> Bucket {
            try await RadosgwTestCluster.create(Bucket(endpoint: endpoint, name: RadosgwTestCluster.bucketName()))
        }

        /// Kills the gateway: the store stops answering (its data stays).
        public func stopGateway() async throws { try await run("gateway-stop") }

        public func startGateway() async throws { try await run("gateway-start") }

        private func run(_ command: String) async throws {
            let directory = directory
            let run = try await PostgresTestCluster.offPool { try ChildRun.run(RadosgwTestCluster.script, [command, directory]) }
            guard run.status == 0 else { throw Spawned.Failure(description: "radosgw \(command): \(run)") }
        }
    }

    public static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tools/radosgw-test-cluster.sh")

    private struct State {
        var endpoint: Endpoint?
        var directory: String?
        var privateDirectories: [String] = []
    }

    private static let state = Mutex(State())

    private static let killAtExit: Void = {
        atexit {
            let directories = RadosgwTestCluster.state.withLock { [$0.directory].compactMap { $0 } + $0.privateDirectories }
            for directory in directories {
                _ = try? ChildRun.run(RadosgwTestCluster.script, ["kill", directory])
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }()
}
