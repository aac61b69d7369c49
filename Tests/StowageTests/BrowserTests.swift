import Foundation
import Testing

/// The pages in a real browser: headless Chromium driven by selenium (`Tests/Browser/pages_test.py`)
/// against the built `stowage serve`, on images skopeo pushed: sign in, find the image, copy its
/// pull command, delete a version, find it under Deleted, restore it and pull it again with
/// skopeo, check the settings, create a token and push with it, sign out. The script takes the
/// README's screenshots on the way: into `docs/screenshots` when `STOWAGE_SCREENSHOTS=1`, else
/// into a scratch directory.
@Suite("Pages in a real browser", .timeLimit(.minutes(5)))
struct BrowserTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Browser/pages_test.py")
    static let screenshots = ["packages", "package", "version", "settings", "deleted", "tokens", "package-mobile-dark"]

    @Test func signInFindCopyDeleteRestoreCreateATokenAndSignOut() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let layout = try await OCITestLayout.build(in: root)
        let pictures = ProcessInfo.processInfo.environment["STOWAGE_SCREENSHOTS"] == "1"
            ? Self.script.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("docs/screenshots")
            : root.appendingPathComponent("screenshots")
        try FileManager.default.createDirectory(at: pictures, withIntermediateDirectories: true)

        let status = try await ServerProcess.with(arguments: ["--auth", "token"]) { server in
            let token = try await SkopeoLoginTests.token(
                for: "alice", scopes: "read:packages,write:packages,delete:packages", data: server.dataDirectory)
            // Two images of their own (an index would make its platform images parts of it, not versions).
            for (source, tag) in [("v1", "v1"), ("arm", "v2")] {
                try await SkopeoEndToEndTests.skopeo([
                    "copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", "alice:\(token)",
                    "oci:\(layout.directory.path):\(source)", "docker://\(server.host)/alice/app/web:\(tag)",
                ])
            }
            // Chromium's processes at a lower priority, as the test store's daemons: under the
            // whole suite they would otherwise take the two cores from the in-process servers,
            // whose clients then time out.
            let run = try await ExternalTool.run("nice", [
                "-n", "10", "python3", Self.script.path, "--base", "http://\(server.host)", "--user", "alice", "--token", token, "--package", "alice/app/web",
                "--screenshots", pictures.path, "--layout", layout.directory.path,
            ], seconds: 150)
            #expect(run.status == 0, "the browser test failed:\n\(run.text)\n\(run.error)")
            for name in Self.screenshots {
                let size = (try? FileManager.default.attributesOfItem(atPath: pictures.appendingPathComponent("\(name).png").path)[.size] as? Int) ?? 0
                #expect(size > 1000, "no screenshot \(name).png")
            }
            #expect(!server.standardError.contains(token) && !server.lines.contains { $0.contains(token) }, "a token never reaches the log")
        }
        #expect(status == 0)
    }
}
