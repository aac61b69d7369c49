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
        let endpoint = try await endpoint()
        let bucket = Bucket(endpoint: endpoint, name: bucketName())
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
                _ = killAtExit
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

    public static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tools/radosgw-test-cluster.sh")

    private struct State {
        var endpoint: Endpoint?
        var directory: String?
    }

    private static let state = Mutex(State())

    private static let killAtExit: Void = {
        atexit {
            guard let directory = RadosgwTestCluster.state.withLock({ $0.directory }) else { return }
            _ = try? ChildRun.run(RadosgwTestCluster.script, ["kill", directory])
            try? FileManager.default.removeItem(atPath: directory)
        }
    }()
}
