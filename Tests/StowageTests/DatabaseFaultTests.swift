import BlobStore
import Foundation
import TestSupport
import Synchronization
import Testing

/// PostgreSQL going away under a running registry: requests that need it are refused with a 503
/// and the OCI error body clients retry on, nothing is left half-written, and once it is back
/// the same server takes pushes again: with blobs in the data directory, and in cluster mode, whose
/// blobs' index and uploads are in the database too.
@Suite("PostgreSQL stopped under the registry")
struct DatabaseFaultTests {
    @Test(arguments: [false, true]) func pushesGet503sWhileTheDatabaseIsDownAndResumeWhenItIsBack(inCluster: Bool) async throws {
        let cluster = try await PostgresTestCluster.Private.start()
        let bucket = inCluster ? try await RadosgwTestCluster.freshBucket() : nil
        let server = try await ServerProcess.start(arguments: ["--metadata-url", cluster.url], environment: bucket?.environment ?? [:])
        var failure: (any Error)?
        do {
            try await exercise(server, cluster)
        } catch {
            failure = error
        }
        _ = await server.stop(keepingData: true)
        if failure == nil {
            // Nothing half-written: the check of the data directory and the database is clean.
            let arguments = ["--data-dir", server.dataDirectory, "--metadata-url", cluster.url, "--level", "verify"]
            let environment = bucket?.environment ?? [:]
            let check = try await PostgresTestCluster.offPool {
                try ChildRun.run(BuiltExecutable.url("stowage-fsck"), arguments, environment: environment)
            }
            #expect(check.status == 0, "\(check)")
        }
        try? FileManager.default.removeItem(at: server.directory)
        if let failure { throw failure }
    }

    private func exercise(_ server: ServerProcess, _ cluster: PostgresTestCluster.Private) async throws {
        let client = WireClient(server: server)
        let before = try await client.pushImage("alice/app", tag: "before", layers: [Data("one".utf8)], seed: "before")

        // Pushes run while the database is killed: every answer is a success or a 503 with the
        // OCI error body, never a 500.
        let outcomes = Outcomes()
        let pushing = Task {
            var round = 0
            while !Task.isCancelled {
                round += 1
                let layer = Data("layer \(round)".utf8)
                let digest = Digest.of(Array(layer))
                let upload = try await server.request("POST", "/v2/alice/app/blobs/uploads/?digest=\(digest)", body: layer)
                outcomes.record(upload)
                // A manifest naming a blob whose upload was refused would rightly be refused (400).
                if upload.status == 201 {
                    let manifest = Data(#"{"schemaVersion":2,"mediaType":"\#(WireClient.manifestType)","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(digest)","size":\#(layer.count)},"layers":[]}"#.utf8)
                    outcomes.record(try await server.request(
                        "PUT", "/v2/alice/app/manifests/r\(round)", headers: ["Content-Type": WireClient.manifestType], body: manifest))
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        try await cluster.kill()
        try await Task.sleep(for: .seconds(2))
        let down = try await server.request("HEAD", "/v2/alice/app/manifests/before", accept: WireClient.manifestType)
        #expect(down.status == 503, "a lookup while the database is down: \(down.status)")
        try await cluster.restart()

        // The same server takes pushes again, without a restart.
        var resumed = false
        for attempt in 0..<120 where !resumed {
            if attempt > 0 { try await Task.sleep(for: .milliseconds(500)) }
            resumed = (try? await client.pushImage("alice/app", tag: "after", layers: [Data("two".utf8)], seed: "after")) != nil
        }
        pushing.cancel()
        _ = await pushing.result
        #expect(resumed, "no push succeeded within a minute of the database's restart")
        try await client.pull("alice/app", before.digest)

        let statuses = outcomes.statuses
        #expect(statuses.contains(503), "no request met the outage: \(statuses)")
        #expect(statuses.allSatisfy { [200, 201, 202, 503].contains($0) }, "\(statuses)")
        for body in outcomes.unavailableBodies {
            let object = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            let code = (object?["errors"] as? [[String: Any]])?.first?["code"] as? String
            #expect(["UNAVAILABLE", "TOOMANYREQUESTS"].contains(code), "\(String(decoding: body, as: UTF8.self))")
        }
    }

    private final class Outcomes: Sendable {
        private let state = Mutex<[(Int, Data)]>([])
        func record(_ response: ServerProcess.Response) { state.withLock { $0.append((response.status, response.body)) } }
        var statuses: Set<Int> { Set(state.withLock { $0.map(\.0) }) }
        var unavailableBodies: [Data] { state.withLock { $0.filter { $0.0 == 503 }.map(\.1) } }
    }
}
