import BlobStore
import Foundation
import NIOCore
import ObjectStore
import TestSupport
import Testing

/// Cluster mode as the README's "Running several nodes" sets it up: three `stowage serve` nodes
/// on one PostgreSQL database and one radosgw bucket, nginx round robin in front. Any node
/// answers any request: what one took, the others serve at once, and a node killed mid-push
/// loses nothing it acknowledged.
// Serialized: several clusters of three nodes at once, beside the whole suite, starved the two
// cores (the in-process servers of other tests then missed their clients' 20 s read timeout).
@Suite("Cluster: three nodes, PostgreSQL, radosgw, nginx", .serialized, .timeLimit(.minutes(5)))
struct ObjectClusterTests {
    /// The nodes, the proxy, and what they share.
    final class NodeCluster: @unchecked Sendable {
        // @unchecked: driven only by the test that started it.
        private(set) var nodes: [ServerProcess]
        let nginx: ProxyTests.Nginx
        let proxyPort: Int
        let bucket: RadosgwTestCluster.Bucket
        let metadataURL: String
        let environment: [String: String]
        let arguments: [String]

        /// `127.0.0.1:PORT` of nginx.
        var proxy: String { "127.0.0.1:\(proxyPort)" }

        static func start(
            nodes count: Int = 3, bucket: RadosgwTestCluster.Bucket? = nil, environment extra: [String: String] = [:], arguments: [String] = []
        ) async throws -> NodeCluster {
            let bucket = if let bucket { bucket } else { try await RadosgwTestCluster.freshBucket() }
            let metadataURL = try await PostgresTestCluster.createDatabase()
            let port = try ProxyTests.freePort()
            // Clients reach the registry through nginx: the token realm must name it.
            let proxied = ["STOWAGE_PUBLIC_URL": "http://127.0.0.1:\(port)", "STOWAGE_TRUSTED_PROXIES": "127.0.0.1"]
            let environment = bucket.environment.merging(proxied) { $1 }.merging(extra) { $1 }
            let arguments = ["--metadata-url", metadataURL] + arguments
            var nodes: [ServerProcess] = []
            do {
                for _ in 0..<count { nodes.append(try await ServerProcess.start(arguments: arguments, environment: environment)) }
                let nginx = try ProxyTests.Nginx(port: port, upstreams: nodes.map(\.port), authority: nil)
                let cluster = NodeCluster(
                    nodes: nodes, nginx: nginx, proxyPort: port, bucket: bucket, metadataURL: metadataURL, environment: environment,
                    arguments: arguments)
                try await cluster.waitForProxy()
                return cluster
            } catch {
                for node in nodes { _ = await node.stop() }
                throw error
            }
        }

        private init(
            nodes: [ServerProcess], nginx: ProxyTests.Nginx, proxyPort: Int, bucket: RadosgwTestCluster.Bucket, metadataURL: String,
            environment: [String: String], arguments: [String]
        ) {
            self.nodes = nodes
            self.nginx = nginx
            self.proxyPort = proxyPort
            self.bucket = bucket
            self.metadataURL = metadataURL
            self.environment = environment
            self.arguments = arguments
        }

        private func waitForProxy() async throws {
            for _ in 0..<100 {
                if (try? await ServerProcess.request(to: proxy, "GET", "/ready"))?.status == 200 { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw ExternalTool.Failure(description: "nginx in front of the nodes did not become ready")
        }

        /// Kills node `index` with SIGKILL, as a crash would.
        func kill(_ index: Int) async {
            nodes[index].send(SIGKILL)
            _ = await nodes[index].waitForDeath(seconds: 10)
        }

        /// A new process in place of node `index` (which must be dead), on a port of its own;
        /// nginx keeps the old port, so the new node is reached directly.
        func restart(_ index: Int) async throws {
            _ = await nodes[index].stop()
            nodes[index] = try await ServerProcess.start(arguments: arguments, environment: environment)
        }

        func stop() async {
            nginx.stop()
            for node in nodes { _ = await node.stop() }
        }

        /// The bucket's objects and bytes.
        func bucketUsage() async throws -> (objects: Int, bytes: UInt64) {
            try await bucket.usage()
        }
    }

    /// Runs `body` on a fresh cluster, stopping it whatever happens.
    static func withCluster(
        nodes: Int = 3, bucket: RadosgwTestCluster.Bucket? = nil, environment: [String: String] = [:], arguments: [String] = [],
        _ body: (NodeCluster) async throws -> Void
    ) async throws {
        let cluster = try await NodeCluster.start(nodes: nodes, bucket: bucket, environment: environment, arguments: arguments)
        do {
            try await body(cluster)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    /// skopeo logs in, pushes a multi-layer image (gzip and zstd layers) and a two-platform index
    /// through nginx, whose round robin spreads every request over the nodes (and with them the
    /// registry tokens one node issued), then pulls everything back; an image pushed to node A
    /// is pulled from node C at once.
    @Test func skopeoPushesAndPullsThroughTheProxy() async throws {
        let root = try SkopeoEndToEndTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let layout = try await OCITestLayout.build(in: root)
        try await Self.withCluster(arguments: ["--auth", "token"]) { cluster in
            let admin = try #require(cluster.nodes.compactMap(\.bootstrapToken).first, "one node made the first administrator")
            #expect(cluster.nodes.compactMap(\.bootstrapToken).count == 1)
            let authfile = root.appendingPathComponent("auth.json").path
            try await SkopeoEndToEndTests.skopeo(["login", "--tls-verify=false", "--authfile", authfile, "-u", "admin", "-p", admin, cluster.proxy])
            let remote = "docker://\(cluster.proxy)/admin/app"
            try await SkopeoEndToEndTests.skopeo([
                "copy", "--all", "--preserve-digests", "--dest-tls-verify=false", "--authfile", authfile, "oci:\(layout.directory.path):multi",
                "\(remote)/multi:latest",
            ])
            try await SkopeoEndToEndTests.skopeo([
                "copy", "--preserve-digests", "--dest-tls-verify=false", "--authfile", authfile, "oci:\(layout.directory.path):v1", "\(remote)/img:v1",
            ])
            let raw = try await SkopeoEndToEndTests.skopeo(["inspect", "--tls-verify=false", "--authfile", authfile, "--raw", "\(remote)/multi:latest"])
            #expect(raw.output == layout.index.bytes)
            let pulled = root.appendingPathComponent("pulled")
            try await SkopeoEndToEndTests.skopeo([
                "copy", "--all", "--preserve-digests", "--src-tls-verify=false", "--authfile", authfile, "\(remote)/multi:latest",
                "oci:\(pulled.path):latest",
            ])
            let blobs = try OCITestLayout.readBlobs(of: pulled)
            #expect(Set(blobs.keys) == Set(layout.allBlobs.map(\.digest)))
            for blob in layout.allBlobs { #expect(blobs[blob.digest] == blob.bytes, "blob \(blob.digest) (\(blob.mediaType))") }

            // Straight to node A, then at once from node C.
            let nodeA = "docker://\(cluster.nodes[0].host)/admin/app/direct:v1"
            let nodeC = "docker://\(cluster.nodes[2].host)/admin/app/direct:v1"
            try await SkopeoEndToEndTests.skopeo([
                "copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", "admin:\(admin)", "oci:\(layout.directory.path):v1", nodeA,
            ])
            let fromC = root.appendingPathComponent("from-c")
            try await SkopeoEndToEndTests.skopeo(["copy", "--src-tls-verify=false", "--src-creds", "admin:\(admin)", nodeC, "oci:\(fromC.path):v1"])
            let direct = try OCITestLayout.readBlobs(of: fromC)
            for blob in layout.image.blobs { #expect(direct[blob.digest] == blob.bytes, "blob \(blob.digest) from node C") }
        }
    }

    /// One chunked upload whose requests go to a different node each time: the upload's state
    /// (parts sent, the tail under a part's size, the hash state) is in PostgreSQL, so every
    /// node goes on where the last one stopped.
    @Test func aChunkedUploadMovesBetweenNodes() async throws {
        try await Self.withCluster { cluster in
            var random = SeededGenerator(seed: try TestSeed.draw(for: "chunked across nodes"))
            let blob = random.data(17 << 20 + 12_345)
            let digest = Digest.of(Array(blob))
            let nodes = cluster.nodes
            let start = try await nodes[0].request("POST", "/v2/team/app/blobs/uploads/")
            let location = try #require(start.header("Location"))
            // 6 MiB (a part of its own), 3 MiB (kept as the tail, under S3's 5 MiB), 7 MiB (a
            // 10 MiB part with that tail), then the rest with the PUT: each on the next node.
            let cuts = [0, 6 << 20, 9 << 20, 16 << 20, blob.count]
            for chunk in 0..<3 {
                let node = nodes[(chunk + 1) % nodes.count]
                let range = cuts[chunk]..<cuts[chunk + 1]
                let patch = try await node.request(
                    "PATCH", location, headers: ["Content-Range": "\(range.lowerBound)-\(range.upperBound - 1)", "Content-Type": "application/octet-stream"],
                    body: blob.subdata(in: range))
                #expect(patch.status == 202, "PATCH \(chunk) on node \((chunk + 1) % 3): \(patch.text)")
                #expect(patch.header("Range") == "0-\(range.upperBound - 1)")
                // Every node reports the same offset.
                let status = try await nodes[chunk % nodes.count].request("GET", location)
                #expect(status.status == 204 && status.header("Range") == "0-\(range.upperBound - 1)")
            }
            // A chunk that does not start where the upload stands is refused on any node.
            let stray = try await nodes[2].request("PATCH", location, headers: ["Content-Range": "0-9"], body: blob.subdata(in: 0..<10))
            #expect(stray.status == 416 && stray.header("Range") == "0-\(cuts[3] - 1)")
            let put = try await nodes[1].request("PUT", "\(location)?digest=\(digest)", body: blob.subdata(in: cuts[3]..<blob.count))
            #expect(put.status == 201, "\(put.text)")
            for node in nodes {
                let get = try await node.request("GET", "/v2/team/app/blobs/\(digest)")
                #expect(get.status == 200 && get.body == blob)
            }
            let ranged = try await nodes[2].request("GET", "/v2/team/app/blobs/\(digest)", headers: ["Range": "bytes=8388600-8388700"])
            #expect(ranged.status == 206 && ranged.body == blob.subdata(in: 8_388_600..<8_388_701))
            // One object and its sidecar in the bucket; no multipart upload left open.
            #expect(try await cluster.bucketUsage().objects == 2)
        }
    }

    /// Rounds of pushes to every node, one node killed with SIGKILL in the middle of each: every
    /// image acknowledged pulls intact through the others, and an upload the dead node had taken
    /// part of goes on from another node at the offset the client was told.
    @Test func aNodeKilledMidPushLosesNothingAcknowledged() async throws {
        try await Self.withCluster { cluster in
            var random = SeededGenerator(seed: try TestSeed.draw(for: "cluster kill"))
            let ledger = AcknowledgedImages()
            for round in 0..<3 {
                let victim = round % cluster.nodes.count
                let survivors = cluster.nodes.indices.filter { $0 != victim }.map { cluster.nodes[$0] }

                // An upload of a large blob whose first chunk the victim takes.
                let blob = random.data(11 << 20)
                let start = try await cluster.nodes[victim].request("POST", "/v2/kill/upload\(round)/blobs/uploads/")
                let location = try #require(start.header("Location"))
                let first = try await cluster.nodes[victim].request(
                    "PATCH", location, headers: ["Content-Range": "0-\((6 << 20) - 1)"], body: blob.subdata(in: 0..<(6 << 20)))
                #expect(first.status == 202)

                let seeds = (0..<cluster.nodes.count).map { _ in random.next() }
                await withTaskGroup(of: Void.self) { group in
                    for (index, node) in cluster.nodes.enumerated() {
                        group.addTask {
                            var random = SeededGenerator(seed: seeds[index])
                            let client = WireClient(server: node)
                            // Until the victim dies (its pushes then fail), and a few more on the others.
                            for number in 0..<16 {
                                let name = "kill/r\(round)/n\(index)"
                                guard let image = try? await client.pushImage(
                                    name, tag: "t\(number)", layers: [random.data(3_000), random.data(number % 4 == 0 ? 1_500_000 : 300_000)],
                                    seed: "\(round)-\(index)-\(number)")
                                else { break }
                                ledger.add(name, image.digest)
                            }
                        }
                    }
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(700))
                        await cluster.kill(victim)
                    }
                }
                // Every acknowledged image, from every survivor.
                for (name, digest) in ledger.all {
                    for node in survivors { try await WireClient(server: node).pull(name, digest) }
                }
                // The killed node's upload, resumed elsewhere from the offset it reported.
                let status = try await survivors[0].request("GET", location)
                #expect(status.status == 204 && status.header("Range") == "0-\((6 << 20) - 1)")
                let rest = try await survivors[1].request(
                    "PUT", "\(location)?digest=\(Digest.of(Array(blob)))", body: blob.subdata(in: (6 << 20)..<blob.count))
                #expect(rest.status == 201, "\(rest.text)")
                #expect(try await survivors[0].request("GET", "/v2/kill/upload\(round)/blobs/\(Digest.of(Array(blob)))").body == blob)
                try await cluster.restart(victim)
            }
            #expect(ledger.all.count > 6, "pushes were acknowledged in every round")
        }
    }

    /// With `storage.redirect`, a blob GET answers 307 with a presigned URL of radosgw, and
    /// skopeo, following it, gets the right bytes.
    @Test func redirectModeSendsClientsToTheStore() async throws {
        let root = try SkopeoEndToEndTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let layout = try await OCITestLayout.build(in: root)
        try await Self.withCluster(nodes: 1, environment: ["STOWAGE_STORAGE_REDIRECT": "true", "STOWAGE_STORAGE_S3_INLINE_LIMIT": "0"]) { cluster in
            let node = cluster.nodes[0]
            let remote = "docker://\(node.host)/team/redirect:v1"
            try await SkopeoEndToEndTests.skopeo([
                "copy", "--preserve-digests", "--dest-tls-verify=false", "oci:\(layout.directory.path):v1", remote,
            ])
            let layer = layout.image.layers[0]
            let answer = try await ExternalTool.check(
                "curl", ["-sS", "-D", "-", "-o", "/dev/null", "http://\(node.host)/v2/team/redirect/blobs/\(layer.digest)"], seconds: 30)
            let headers = answer.text.lowercased()
            #expect(headers.hasPrefix("http/1.1 307"))
            #expect(headers.contains("location: \(cluster.bucket.endpoint.url)/\(cluster.bucket.name)/blobs/"))
            let pulled = root.appendingPathComponent("pulled")
            try await SkopeoEndToEndTests.skopeo(["copy", "--src-tls-verify=false", remote, "oci:\(pulled.path):v1"])
            let blobs = try OCITestLayout.readBlobs(of: pulled)
            for blob in layout.image.blobs { #expect(blobs[blob.digest] == blob.bytes, "blob \(blob.digest)") }
        }
    }

    /// The store goes away in the middle of pushes: they are refused with 503 and the OCI error
    /// body, the readiness check says so, and once it is back pushes work again without a
    /// restart of the node.
    @Test func theStoreGoingAwayIsA503AndComingBackHeals() async throws {
        let store = try await RadosgwTestCluster.Private.start()
        try await Self.withCluster(nodes: 1, bucket: try await store.freshBucket()) { cluster in
            let node = cluster.nodes[0]
            let client = WireClient(server: node)
            var random = SeededGenerator(seed: try TestSeed.draw(for: "store fault"))
            let before = try await client.pushImage("fault/app", tag: "before", layers: [random.data(2 << 20)], seed: "before")

            try await store.stopGateway()
            let large = random.data(2 << 20)
            let refused = try await node.request("POST", "/v2/fault/app/blobs/uploads/?digest=\(Digest.of(Array(large)))", body: large)
            #expect(refused.status == 503, "\(refused.text)")
            #expect(refused.text.contains(#""code":"UNAVAILABLE""#))
            let ready = try await node.request("GET", "/ready")
            #expect(ready.status == 503 && ready.text.contains("storage: unavailable"))

            try await store.startGateway()
            let after = try await client.pushImage("fault/app", tag: "after", layers: [large, random.data(4_000)], seed: "after")
            try await client.pull("fault/app", before.digest)
            try await client.pull("fault/app", after.digest)
            #expect(try await node.request("GET", "/ready").status == 200)
            // Nothing half-done: the bucket and its rows check clean.
            let check = try await Self.fsck(cluster, ["--level", "verify"])
            #expect(check.status == 0, "\(check.text)")
        }
    }

    /// Collection on one node while the others take pushes: nothing referenced is lost, and the
    /// bucket's objects and bytes go down once deleted packages have been collected.
    @Test func collectionOnOneNodeWhileOthersPush() async throws {
        // A grace period of a few seconds: a push in progress (its blobs linked, its manifest not
        // yet put) is never collected under it, as in production.
        try await Self.withCluster(environment: [
            "STOWAGE_GC_GRACE_PERIOD": "3", "STOWAGE_GC_RESTORE_WINDOW": "0", "STOWAGE_STORAGE_S3_INLINE_LIMIT": "0",
        ]) { cluster in
            var random = SeededGenerator(seed: try TestSeed.draw(for: "cluster collection"))
            let doomed = WireClient(server: cluster.nodes[0])
            for number in 0..<4 {
                _ = try await doomed.pushImage("gc/doomed", tag: "t\(number)", layers: [random.data(200_000)], seed: "doomed\(number)")
            }
            #expect(try await cluster.nodes[1].request("DELETE", "/api/v1/packages/gc/doomed").status == 204)
            let full = try await cluster.bucketUsage()
            let seeds = [random.next(), random.next()]
            let ledger = AcknowledgedImages()
            async let pushes: Void = withTaskGroup(of: Void.self) { group in
                for index in 1...2 {
                    group.addTask {
                        var random = SeededGenerator(seed: seeds[index - 1])
                        let client = WireClient(server: cluster.nodes[index])
                        for number in 0..<15 {
                            do {
                                let image = try await client.pushImage(
                                    "gc/live\(index)", tag: "t\(number)", layers: [random.data(150_000)], seed: "live\(index)-\(number)")
                                ledger.add("gc/live\(index)", image.digest)
                            } catch {
                                ledger.fail("\(error)")
                            }
                        }
                    }
                }
            }
            var report: [String: Any] = [:]
            for _ in 0..<20 {
                try await Task.sleep(for: .seconds(1))
                report = try await doomed.collect()
                if (report["deletedBlobs"] as? Int ?? 0) > 0 { break }
            }
            await pushes
            #expect(ledger.failures.isEmpty, "\(ledger.failures)")
            // The doomed package's manifests, configs and layers.
            #expect((report["deletedBlobs"] as? Int ?? 0) == 12, "\(report)")
            for (name, digest) in ledger.all { try await WireClient(server: cluster.nodes[0]).pull(name, digest) }
            // Left: each live image's manifest, config and layer, each an object with its sidecar.
            let after = try await cluster.bucketUsage()
            #expect(after.objects == 6 * ledger.all.count, "before \(full), after \(after), \(ledger.all.count) images pushed meanwhile")
            #expect(after.bytes < full.bytes - 4 * 200_000 + UInt64(ledger.all.count) * 160_000, "before \(full), after \(after)")
        }
    }
}

extension ObjectClusterTests {
    /// `stowage-fsck` on the cluster's bucket and database, with `arguments`; its JSON report.
    static func fsck(_ cluster: NodeCluster, _ arguments: [String]) async throws -> (status: Int32, report: [String: Any], text: String) {
        let environment = cluster.bucket.environment
        let url = cluster.metadataURL
        let run = try await PostgresTestCluster.offPool {
            try ChildRun.run(BuiltExecutable.url("stowage-fsck"), ["--metadata-url", url, "--json"] + arguments, environment: environment)
        }
        let report = (try? JSONSerialization.jsonObject(with: Data(run.output.utf8))) as? [String: Any] ?? [:]
        return (run.status, report, run.description)
    }

    static func findings(_ report: [String: Any]) -> [String] {
        ((report["store"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String }.sorted()
    }

    /// stowage-fsck checks a running cluster's bucket against its rows: clean after pushes; a
    /// lost row, a flipped byte, a lost object and an abandoned multipart upload are each found;
    /// --repair rebuilds the row from the object's sidecar (the blob pulls again), drops what is
    /// lost with what named it, aborts the upload, and deletes no object that verifies.
    @Test func fsckChecksAndRepairsTheBucket() async throws {
        try await Self.withCluster(nodes: 1, environment: ["STOWAGE_STORAGE_S3_INLINE_LIMIT": "0"]) { cluster in
            var random = SeededGenerator(seed: try TestSeed.draw(for: "cluster fsck"))
            let client = WireClient(server: cluster.nodes[0])
            let kept = try await client.pushImage("fsck/kept", tag: "v1", layers: [random.data(1_500_000)], seed: "kept")
            let lost = try await client.pushImage("fsck/lost", tag: "v1", layers: [random.data(2_500_000)], seed: "lost")
            let rotten = try await client.pushImage("fsck/rotten", tag: "v1", layers: [random.data(1_200_000)], seed: "rotten")
            let clean = try await Self.fsck(cluster, ["--level", "verify"])
            #expect(clean.status == 0 && clean.report["clean"] as? Bool == true, "\(clean.text)")

            let s3 = S3Client(settings: cluster.bucket.settings)
            defer { Task { try? await s3.shutdown() } }
            let objects = try await s3.allObjects(prefix: "blobs/").filter { !$0.key.hasSuffix(".sums") }
            func object(of digest: Digest) async throws -> String {
                let sql = "SELECT object FROM object_blobs WHERE digest = '\(digest)'"
                let url = cluster.metadataURL
                let run = try await PostgresTestCluster.offPool { try ChildRun.run(URL(fileURLWithPath: "/usr/bin/psql"), [url, "-Atc", sql]) }
                return run.output.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            // The kept layer's row is lost (as if the database lost a commit the bucket kept).
            let keptLayer = kept.blobs[1]
            let url = cluster.metadataURL
            _ = try await PostgresTestCluster.offPool {
                try ChildRun.run(URL(fileURLWithPath: "/usr/bin/psql"), [url, "-c", "DELETE FROM object_blobs WHERE digest = '\(keptLayer)'"])
            }
            // The lost image's layer object is gone; a byte of the rotten one flipped.
            try await s3.deleteObject(try await object(of: lost.blobs[1]))
            let rottenKey = try await object(of: rotten.blobs[1])
            var bytes = Array(buffer: try await s3.objectBytes(rottenKey))
            bytes[1_100_000] ^= 0x40
            try await s3.deleteObject(rottenKey)
            try await s3.putObject(rottenKey, body: ByteBuffer(bytes: bytes))
            let abandoned = try await s3.createMultipartUpload("blobs/abandoned")

            let found = try await Self.fsck(cluster, ["--level", "scrub"])
            #expect(found.status == 1)
            #expect(Self.findings(found.report) == ["blob-corrupt", "multipart-abandoned", "object-missing", "object-unreferenced", "object-unreferenced"], "\(found.text)")

            let repaired = try await Self.fsck(cluster, ["--level", "scrub", "--repair"])
            let repair = repaired.report["repair"] as? [String: Any] ?? [:]
            let storeRepair = repair["store"] as? [String: Any] ?? [:]
            #expect((storeRepair["rowsRebuilt"] as? [String]) == [keptLayer.description], "\(repaired.text)")
            #expect(Set((storeRepair["rowsDropped"] as? [String]) ?? []) == [lost.blobs[1].description, rotten.blobs[1].description])
            #expect(storeRepair["multipartAborted"] as? Int == 1)
            #expect(try await s3.multipartUploads().map(\.uploadID).contains(abandoned) == false)
            // Nothing that verifies was deleted: every object but the one lost is still there.
            let after = try await s3.allObjects(prefix: "blobs/").filter { !$0.key.hasSuffix(".sums") }
            #expect(after.count == objects.count - 1)
            // The kept image pulls (through a fresh node: no cached row); the two broken ones are gone.
            try await cluster.restart(0)
            try await WireClient(server: cluster.nodes[0]).pull("fsck/kept", kept.digest)
            let again = try await Self.fsck(cluster, ["--level", "verify"])
            // Left for the operator: the rotten object and its sidecar, and the lost object's sidecar.
            #expect(Self.findings(again.report) == ["object-unreferenced", "object-unreferenced", "object-unreferenced"], "\(again.text)")
        }
    }
}

/// Images the registry acknowledged, from several tasks.
final class AcknowledgedImages: @unchecked Sendable {
    // @unchecked: every access holds the lock.
    private let lock = NSLock()
    private var images: [(String, Digest)] = []
    private var failed: [String] = []

    func add(_ name: String, _ digest: Digest) {
        lock.withLock { images.append((name, digest)) }
    }

    func fail(_ reason: String) {
        lock.withLock { failed.append(reason) }
    }

    var failures: [String] { lock.withLock { failed } }

    var all: [(String, Digest)] { lock.withLock { images } }
}
