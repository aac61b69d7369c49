import Foundation
import TestSupport
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

    /// A docker daemon of the test's own (vfs storage, no networking of its own), on a socket
    /// in a short temporary folder.
    final class Dockerd: @unchecked Sendable {
        // @unchecked: the process is driven only by the test that started it.
        let directory: String
        private let process: Spawned
        var environment: [String: String] {
            ["DOCKER_HOST": "unix://\(directory)/docker.sock", "DOCKER_CONFIG": "\(directory)/config"]
        }

        init() async throws {
            directory = "/tmp/stowage-dockerd-" + String(UUID().uuidString.prefix(8))
            try FileManager.default.createDirectory(atPath: directory + "/config", withIntermediateDirectories: true)
            process = try Spawned(
                try ExternalTool.locate("dockerd"),
                [
                    "--storage-driver", "vfs", "--iptables=false", "--ip6tables=false", "--bridge=none",
                    "--data-root", directory + "/data", "--exec-root", directory + "/exec", "--pidfile", directory + "/docker.pid",
                    "-H", "unix://\(directory)/docker.sock",
                ],
                input: .handle(FileHandle.nullDevice), output: .handle(FileHandle.nullDevice),
                error: .handle(try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/log").creatingFile())))
            for _ in 0..<300 {
                if (try? await docker(["version"]))?.status == 0 { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            stop()
            throw ExternalTool.Failure(description: "dockerd did not start")
        }

        func docker(_ arguments: [String], input: String? = nil) async throws -> ExternalTool.Run {
            if let input {
                let file = directory + "/input"
                try input.write(toFile: file, atomically: true, encoding: .utf8)
                return try await ExternalTool.run("sh", ["-c", "docker \(arguments.joined(separator: " ")) < \(file)"], environment: environment, seconds: 30)
            }
            return try await ExternalTool.run("docker", arguments, environment: environment, seconds: 30)
        }

        func stop() {
            if process.isRunning { process.signal(SIGTERM) }
            process.waitUntilExit()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func dockerStopsAtOnceWithDenied() async throws {
        let dockerd = try await Dockerd()
        defer { dockerd.stop() }
        let root = try SkopeoEndToEndTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let layer = root.appendingPathComponent("layer.tar")
        try "layer".write(to: root.appendingPathComponent("file"), atomically: true, encoding: .utf8)
        try await ExternalTool.check("tar", ["cf", layer.path, "-C", root.path, "file"], seconds: 20)

        let status = try await ServerProcess.with(arguments: ["--auth", "token"]) { server in
            let data = server.dataDirectory
            _ = try await SkopeoLoginTests.stowage(["user", "add", "alice", "--data-dir", data])
            let readOnly = try await SkopeoLoginTests.stowage(["token", "create", "--user", "alice", "--scopes", "read:packages", "--data-dir", data])
            let writer = try await SkopeoLoginTests.stowage(["token", "create", "--user", "alice", "--scopes", "write:packages", "--data-dir", data])
            let imported = try await dockerd.docker(["import", layer.path, "\(server.host)/alice/app:v1"])
            #expect(imported.status == 0, "\(imported)")
            for name in ["bob/app", "web"] {
                _ = try await dockerd.docker(["tag", "\(server.host)/alice/app:v1", "\(server.host)/\(name):v1"])
            }

            #expect(try await dockerd.docker(["login", server.host, "-u", "alice", "--password-stdin"], input: readOnly).status == 0)
            // Within the tool's time limit: a docker that retried would take about 50 s.
            let readOnlyPush = try await dockerd.docker(["push", "\(server.host)/alice/app:v1"])
            #expect(readOnlyPush.status != 0)
            #expect((readOnlyPush.text + readOnlyPush.error).contains("denied"), "\(readOnlyPush)")
            #expect(try await dockerd.docker(["login", server.host, "-u", "alice", "--password-stdin"], input: writer).status == 0)
            for name in ["bob/app", "web"] {
                let refused = try await dockerd.docker(["push", "\(server.host)/\(name):v1"])
                #expect(refused.status != 0)
                #expect((refused.text + refused.error).contains("denied"), "\(refused)")
            }
            let allowed = try await dockerd.docker(["push", "\(server.host)/alice/app:v1"])
            #expect(allowed.status == 0, "\(allowed)")
        }
        #expect(status == 0)
    }
}

extension URL {
    /// The URL, after creating an empty file there.
    fileprivate func creatingFile() -> URL {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return self
    }
}
