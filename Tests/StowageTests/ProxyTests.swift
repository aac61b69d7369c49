import Foundation
import TestSupport
import Testing

/// Stowage behind nginx as the README's deployment section sets it up: nginx terminates TLS
/// and streams to Stowage on loopback, Stowage believes the proxy's forwarded headers and names
/// its public URL in challenges; skopeo logs in, pushes and pulls through the proxy.
@Suite("Behind nginx", .timeLimit(.minutes(2)))
struct ProxyTests {
    /// nginx on `port` with the README's settings, forwarding to `upstreams` in turn (round
    /// robin), over TLS with `authority`'s certificate or plain HTTP without.
    final class Nginx: @unchecked Sendable {
        // @unchecked: the process is driven only by the test that started it.
        let directory: URL
        private let process: Spawned

        init(port: Int, upstreams: [Int], authority: TLSTests.Authority?) throws {
            directory = try SkopeoEndToEndTests.temporaryDirectory()
            let listen = authority.map {
                "listen 127.0.0.1:\(port) ssl http2;\n ssl_certificate \($0.certificate);\n ssl_certificate_key \($0.key);"
            } ?? "listen 127.0.0.1:\(port);"
            let config = """
                worker_processes 1;
                error_log \(directory.path)/error.log;
                events { worker_connections 256; }
                http {
                    access_log off;
                    client_body_temp_path \(directory.path)/body;
                    proxy_temp_path \(directory.path)/proxy;
                    fastcgi_temp_path \(directory.path)/fastcgi;
                    uwsgi_temp_path \(directory.path)/uwsgi;
                    scgi_temp_path \(directory.path)/scgi;
                    upstream stowage {
                        \(upstreams.map { "server 127.0.0.1:\($0);" }.joined(separator: "\n"))
                        keepalive 16;
                    }
                    server {
                        \(listen)
                        client_max_body_size 0;
                        proxy_request_buffering off;
                        proxy_buffering off;
                        proxy_read_timeout 900s;
                        proxy_send_timeout 900s;
                        location / {
                            proxy_pass http://stowage;
                            proxy_set_header Connection        "";
                            proxy_http_version 1.1;
                            proxy_set_header Host              $host;
                            proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
                            proxy_set_header X-Forwarded-Proto $scheme;
                            proxy_set_header X-Forwarded-Host  $host:$server_port;
                            proxy_set_header X-Request-Id      $request_id;
                        }
                    }
                }
                """
            try config.write(to: directory.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
            process = try Spawned(
                try ExternalTool.locate("nginx"),
                ["-p", directory.path, "-c", directory.appendingPathComponent("nginx.conf").path, "-g", "daemon off; pid \(directory.path)/nginx.pid;"],
                input: .handle(FileHandle.nullDevice))
        }

        func stop() {
            if process.isRunning { process.signal(SIGTERM) }
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// A free loopback port, for nginx (which cannot report the one it picked): below the
    /// ephemeral range. A port the kernel picked for a bind to port 0 and that was closed again
    /// goes to the next bind to port 0 as readily: a fresh-clone run saw the browser test's
    /// server take nginx's port, and the cluster test's login go to that server.
    static func freePort() throws -> Int {
        try PostgresTestCluster.freePort()
    }

    @Test func skopeoLogsInPushesAndPullsThroughTheProxy() async throws {
        let authority = try await TLSTests.Authority.make()
        defer { try? FileManager.default.removeItem(at: authority.directory) }
        let root = try SkopeoEndToEndTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let layout = try await OCITestLayout.build(in: root)
        let proxyPort = try Self.freePort()
        let publicURL = "https://127.0.0.1:\(proxyPort)"
        let environment = ["STOWAGE_PUBLIC_URL": publicURL, "STOWAGE_TRUSTED_PROXIES": "127.0.0.1", "STOWAGE_ACCESS_LOG": "json"]
        let server = try await ServerProcess.start(arguments: ["--auth", "token"], environment: environment)
        let nginx = try Nginx(port: proxyPort, upstreams: [server.port], authority: authority)
        defer { nginx.stop() }
        do {
            let data = server.dataDirectory
            _ = try await SkopeoLoginTests.stowage(["user", "add", "alice", "--data-dir", data])
            let token = try await SkopeoLoginTests.stowage(["token", "create", "--user", "alice", "--scopes", "write:packages", "--data-dir", data])
            var ready = false
            for _ in 0..<100 where !ready {
                ready = (try? await TLSTests.curl(authority, "\(publicURL)/health"))?.status == "200"
                if !ready { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(ready, "nginx did not come up")
            let challenge = try await ExternalTool.check(
                "curl", ["-sS", "-D", "-", "-o", "/dev/null", "--cacert", authority.caCertificate, "\(publicURL)/v2/"], seconds: 30)
            #expect(challenge.text.lowercased().contains(#"bearer realm="\#(publicURL)/token""#))

            let image = "docker://127.0.0.1:\(proxyPort)/alice/app/img:v1"
            let authfile = root.appendingPathComponent("auth.json").path
            try await SkopeoEndToEndTests.skopeo(["login", "--cert-dir", authority.trustDirectory, "--authfile", authfile, "-u", "alice", "-p", token, "127.0.0.1:\(proxyPort)"])
            try await SkopeoEndToEndTests.skopeo([
                "copy", "--preserve-digests", "--dest-cert-dir", authority.trustDirectory, "--authfile", authfile, "oci:\(layout.directory.path):v1", image,
            ])
            let raw = try await SkopeoEndToEndTests.skopeo(["inspect", "--raw", "--cert-dir", authority.trustDirectory, "--authfile", authfile, image])
            #expect(raw.output == layout.image.manifest.bytes)
            let pulled = root.appendingPathComponent("pulled")
            try await SkopeoEndToEndTests.skopeo(["copy", "--src-cert-dir", authority.trustDirectory, "--authfile", authfile, image, "oci:\(pulled.path):v1"])
            // The access log names the user, and nginx's request id.
            try await Task.sleep(for: .milliseconds(300))
            let lines = server.lines.filter { $0.hasPrefix("{") }
            #expect(lines.contains { $0.contains(#""user":"alice""#) && $0.contains(#""method":"PUT""#) })
            #expect(lines.allSatisfy { !$0.contains(#""request_id":"-""#) })
        } catch {
            _ = await server.stop()
            throw error
        }
        #expect(await server.stop() == 0)
    }
}
