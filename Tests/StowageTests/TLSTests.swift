import Foundation
import TestSupport
import Testing

/// `stowage serve` over TLS with a certificate made here by openssl, as a site would run it:
/// curl over HTTP/2 and HTTP/1.1, skopeo verifying the certificate against the site's CA, a
/// renewed certificate picked up on SIGHUP without a restart, and a bad renewal refused.
@Suite("TLS", .timeLimit(.minutes(2)))
struct TLSTests {
    /// A CA, and server certificates it signs for 127.0.0.1 and localhost.
    struct Authority {
        let directory: URL
        var caCertificate: String { directory.appendingPathComponent("ca.crt").path }
        var certificate: String { directory.appendingPathComponent("server.crt").path }
        var key: String { directory.appendingPathComponent("server.key").path }
        /// A directory with `ca.crt` alone, as skopeo's `--cert-dir` wants it.
        var trustDirectory: String { directory.appendingPathComponent("trust").path }

        static func make() async throws -> Authority {
            let directory = try SkopeoEndToEndTests.temporaryDirectory()
            let authority = Authority(directory: directory)
            try await Self.openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Stowage test CA",
                                    "-keyout", directory.appendingPathComponent("ca.key").path, "-out", authority.caCertificate])
            try FileManager.default.createDirectory(atPath: authority.trustDirectory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: authority.caCertificate, toPath: authority.trustDirectory + "/ca.crt")
            try await authority.issue(serial: "1001")
            return authority
        }

        /// A new key and certificate with `serial`, written over the server's files.
        func issue(serial: String) async throws {
            let request = directory.appendingPathComponent("server.csr").path
            let extensions = directory.appendingPathComponent("san.ext").path
            try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: extensions, atomically: true, encoding: .utf8)
            try await Self.openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", key, "-out", request])
            try await Self.openssl(["x509", "-req", "-in", request, "-CA", caCertificate, "-CAkey", directory.appendingPathComponent("ca.key").path,
                                    "-set_serial", serial, "-days", "2", "-extfile", extensions, "-out", certificate])
        }

        /// The serial of the certificate the server at `port` presents, checked against the CA.
        func servedSerial(port: Int) async throws -> String {
            let run = try await ExternalTool.run("sh", ["-c",
                "openssl s_client -connect 127.0.0.1:\(port) -CAfile \(caCertificate) -verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -serial"])
            return run.text.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        @discardableResult
        static func openssl(_ arguments: [String]) async throws -> ExternalTool.Run {
            try await ExternalTool.check("openssl", arguments, seconds: 30)
        }
    }

    static func curl(_ authority: Authority, _ url: String, _ extra: [String] = []) async throws -> (status: String, version: String) {
        let run = try await ExternalTool.check(
            "curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code} %{http_version}", "--cacert", authority.caCertificate] + extra + [url], seconds: 30)
        let fields = run.text.split(separator: " ").map(String.init)
        return (fields.first ?? "", fields.last ?? "")
    }

    @Test func clientsVerifyTheCertificateAndARenewalIsServedAfterSIGHUP() async throws {
        let authority = try await Authority.make()
        defer { try? FileManager.default.removeItem(at: authority.directory) }
        let root = try SkopeoEndToEndTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let layout = try await OCITestLayout.build(in: root)

        let status = try await ServerProcess.with(arguments: ["--tls-cert", authority.certificate, "--tls-key", authority.key]) { server in
            #expect(server.lines.contains { $0.hasPrefix("stowage: listening on https://127.0.0.1:") })
            let url = "https://127.0.0.1:\(server.port)/v2/"
            #expect(try await Self.curl(authority, url, ["--http2"]) == ("200", "2"))
            #expect(try await Self.curl(authority, url, ["--http1.1"]) == ("200", "1.1"))
            // Without the CA the certificate is not trusted: the client refuses, nothing is served.
            let untrusted = try await ExternalTool.run("curl", ["-sS", "-o", "/dev/null", url], seconds: 30)
            #expect(untrusted.status != 0)

            let image = "docker://127.0.0.1:\(server.port)/alice/app/img:v1"
            try await SkopeoEndToEndTests.skopeo([
                "copy", "--preserve-digests", "--dest-cert-dir", authority.trustDirectory, "oci:\(layout.directory.path):v1", image,
            ])
            let raw = try await SkopeoEndToEndTests.skopeo(["inspect", "--raw", "--cert-dir", authority.trustDirectory, image])
            #expect(raw.output == layout.image.manifest.bytes)

            #expect(try await authority.servedSerial(port: server.port) == "serial=03E9")
            try await authority.issue(serial: "1002")
            server.send(SIGHUP)
            var served = ""
            for _ in 0..<50 where served != "serial=03EA" {
                try await Task.sleep(for: .milliseconds(100))
                served = try await authority.servedSerial(port: server.port)
            }
            #expect(served == "serial=03EA", "the renewed certificate is served after SIGHUP")

            // A broken renewal is refused and the certificate in use stays.
            try "not a certificate".write(toFile: authority.certificate, atomically: true, encoding: .utf8)
            server.send(SIGHUP)
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await authority.servedSerial(port: server.port) == "serial=03EA")
            #expect(server.standardError.contains("TLS certificate not reloaded"))
            #expect(try await Self.curl(authority, url) == ("200", "2"))
        }
        #expect(status == 0)
    }

    @Test func aCertificateWithoutItsKeyStopsTheStart() async throws {
        let authority = try await Authority.make()
        defer { try? FileManager.default.removeItem(at: authority.directory) }
        let otherKey = authority.directory.appendingPathComponent("other.key").path
        try await Authority.openssl(["genrsa", "-out", otherKey, "2048"])
        await #expect(throws: (any Error).self) {
            let server = try await ServerProcess.start(arguments: ["--tls-cert", authority.certificate, "--tls-key", otherKey])
            _ = await server.stop()
        }
        await #expect(throws: (any Error).self) {
            let server = try await ServerProcess.start(arguments: ["--tls-cert", authority.certificate])
            _ = await server.stop()
        }
    }

    @Test func theChallengeNamesHTTPSBehindTLS() async throws {
        let authority = try await Authority.make()
        defer { try? FileManager.default.removeItem(at: authority.directory) }
        let status = try await ServerProcess.with(arguments: ["--auth", "token", "--tls-cert", authority.certificate, "--tls-key", authority.key]) { server in
            let run = try await ExternalTool.check(
                "curl", ["-sS", "-D", "-", "-o", "/dev/null", "--cacert", authority.caCertificate, "https://127.0.0.1:\(server.port)/v2/"], seconds: 30)
            #expect(run.text.lowercased().contains(#"www-authenticate: bearer realm="https://127.0.0.1:\#(server.port)/token""#))
        }
        #expect(status == 0)
    }

    @Test func connectionsThatNeverFinishAHandshakeAreClosedAndCounted() async throws {
        let authority = try await Authority.make()
        defer { try? FileManager.default.removeItem(at: authority.directory) }
        let environment = ["STOWAGE_LIMITS_HEADER_TIMEOUT": "10", "STOWAGE_LIMITS_CONNECTIONS_PER_ADDRESS": "2"]
        let server = try await ServerProcess.start(
            arguments: ["--tls-cert", authority.certificate, "--tls-key", authority.key], environment: environment)
        // Two silent connections from one address are held until the handshake deadline; a
        // third is refused at once; another address is served meanwhile.
        let first = try RawSocket(port: server.port, from: "127.0.0.2")
        let second = try RawSocket(port: server.port, from: "127.0.0.2")
        try await Task.sleep(for: .milliseconds(200))
        let third = try RawSocket(port: server.port, from: "127.0.0.2")
        #expect(await third.closes(withinMilliseconds: 5000))
        #expect(try await Self.curl(authority, "https://127.0.0.1:\(server.port)/v2/") == ("200", "2"))
        #expect(await first.closes(withinMilliseconds: 20_000))
        #expect(await second.closes(withinMilliseconds: 20_000))
        #expect(await server.stop() == 0)
    }
}
