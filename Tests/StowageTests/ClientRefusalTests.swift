import Foundation
import Testing

/// What real clients do with the registry's refusals: a push the token may not make stops at
/// once with "denied" and the reason, instead of being retried (docker and podman retried a
/// plain 401 five times over 50 seconds and then printed only "unauthorized").
@Suite("Real clients and refusals", .timeLimit(.minutes(2)))
struct ClientRefusalTests {
    /// podman with storage of its own under `root`, so the test needs no system state (its
    /// run root must be a short path: podman refuses one over 50 characters).
    static func podman(_ root: URL, _ arguments: [String], seconds: Double = 20) async throws -> ExternalTool.Run {
        let runRoot = "/tmp/stowage-podman-" + String(root.lastPathComponent.suffix(8))
        return try await ExternalTool.run("podman", [
            "--root", root.appendingPathComponent("storage").path, "--runroot", runRoot,
            "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
        ] + arguments, seconds: seconds)
    }

    @Test func podmanAndSkopeoStopAtOnceAndSayWhy() async throws {
        let root = try SkopeoEndToEndTests.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: root)
            try? FileManager.default.removeItem(atPath: "/tmp/stowage-podman-" + String(root.lastPathComponent.suffix(8)))
        }
        let layer = root.appendingPathComponent("layer.tar")
        try await ExternalTool.check("tar", ["cf", layer.path, "-C", root.path, "."], seconds: 20)
        let imported = try await Self.podman(root, ["import", layer.path, "localhost/test:v1"])
        #expect(imported.status == 0, "\(imported)")
        let layout = try await OCITestLayout.build(in: root.appendingPathComponent("layout"))

        let status = try await ServerProcess.with(arguments: ["--auth", "token"]) { server in
            let data = server.dataDirectory
            _ = try await SkopeoLoginTests.stowage(["user", "add", "alice", "--data-dir", data])
            let readOnly = try await SkopeoLoginTests.stowage(["token", "create", "--user", "alice", "--scopes", "read:packages", "--data-dir", data])
            let writer = try await SkopeoLoginTests.stowage(["token", "create", "--user", "alice", "--scopes", "write:packages", "--data-dir", data])
            let push = ["push", "--tls-verify=false", "localhost/test:v1"]

            // Run with a time limit: a client that retried would overrun it and fail the test.
            let readOnlyPush = try await Self.podman(root, push + ["--creds", "alice:\(readOnly)", "\(server.host)/alice/app:v1"])
            #expect(readOnlyPush.status != 0)
            #expect(readOnlyPush.error.contains("denied"), "\(readOnlyPush)")
            #expect(readOnlyPush.error.contains("lacks the write:packages scope"), "\(readOnlyPush)")
            let intrusion = try await Self.podman(root, push + ["--creds", "alice:\(writer)", "\(server.host)/bob/app:v1"])
            #expect(intrusion.status != 0)
            #expect(intrusion.error.contains("denied"), "\(intrusion)")
            let ownerless = try await Self.podman(root, push + ["--creds", "alice:\(writer)", "\(server.host)/web:v1"])
            #expect(ownerless.status != 0)
            #expect(ownerless.error.contains("denied"), "\(ownerless)")
            let allowed = try await Self.podman(root, push + ["--creds", "alice:\(writer)", "\(server.host)/alice/app:v1"])
            #expect(allowed.status == 0, "\(allowed)")

            let copy = try await ExternalTool.run("skopeo", [
                "--insecure-policy", "copy", "--dest-tls-verify=false", "--dest-creds", "alice:\(readOnly)",
                "oci:\(layout.directory.path):v1", "docker://\(server.host)/alice/other:v1",
            ], seconds: 20)
            #expect(copy.status != 0)
            #expect(copy.error.contains("denied") || copy.error.contains("lacks the write:packages scope"), "\(copy)")
        }
        #expect(status == 0)
    }
}
