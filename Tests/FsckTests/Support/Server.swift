import Foundation
import TestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `stowage serve` on an existing data directory (a fixture's), on port 0 of 127.0.0.1, stopped
/// with SIGTERM.
final class Server: @unchecked Sendable {
    // @unchecked: the Process is driven only by the test that started it; output has its own lock.
    private let process: Spawned
    private let output = OutputCollector()
    private(set) var port = 0

    var pid: Int32 { process.processIdentifier }

    init(dataDirectory: String) async throws {
        process = try Spawned(
            BuiltExecutable.url("stowage"), ["serve", "--data-dir", dataDirectory, "--listen", "127.0.0.1:0"],
            input: .handle(FileHandle.nullDevice), output: .pipe(output.pipe), error: .handle(FileHandle.nullDevice))
        let prefix = "stowage: listening on http://127.0.0.1:"
        for _ in 0..<1500 where port == 0 && process.isRunning {
            if let line = output.lines.first(where: { $0.hasPrefix(prefix) }) {
                port = Int(line.dropFirst(prefix.count).prefix(while: \.isNumber)) ?? 0
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        if port == 0 { stop() }
        try #require(port > 0, "stowage serve did not start: \(output.lines)")
    }

    func stop() {
        output.stop()
        guard process.isRunning else { return }
        process.signal(SIGTERM)
        process.waitUntilExit()
    }

    /// GET of a path; the status and the body.
    func get(_ path: String) async throws -> (status: Int, body: [UInt8]) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.timeoutInterval = 20
        let (body, response) = try await LoopbackHTTP.send(request)
        return (response.statusCode, Array(body))
    }
}
