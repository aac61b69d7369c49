import Foundation
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `stowage serve` on port 0 of 127.0.0.1 with a data directory of its own, started from the built
/// binary (`swift build --build-tests` puts it beside the test bundle) and stopped with SIGTERM.
final class ServerProcess: @unchecked Sendable {
    // @unchecked: the Process is driven only by the test that started it; output has its own lock.
    private let process: Spawned
    private let output = OutputCollector()
    private let errorURL: URL
    let directory: URL
    private(set) var port = 0
    /// `127.0.0.1:PORT`, as clients name the registry.
    var host: String { "127.0.0.1:\(port)" }

    static let executable = BuiltExecutable.url("stowage")

    /// Starts the server and waits for its "listening on" line. With `directory`, it works in
    /// that folder (a server that crashed there before); otherwise in a fresh one.
    static func start(arguments: [String] = [], environment: [String: String] = [:], directory: URL? = nil) async throws -> ServerProcess {
        let server = try ServerProcess(arguments: arguments, environment: environment, directory: directory)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let port = server.listeningPort() {
                server.port = port
                return server
            }
            if !server.process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let error = server.standardError
        if server.process.isRunning { server.process.signal(SIGKILL) }
        server.process.waitUntilExit()
        try? FileManager.default.removeItem(at: server.directory)
        throw ExternalTool.Failure(description: "stowage serve did not report its port; stdout: \(server.lines); stderr: \(error)")
    }

    /// The data directory `stowage serve` uses, for admin commands run beside it.
    var dataDirectory: String { directory.appendingPathComponent("data").path }

    private init(arguments: [String], environment: [String: String], directory: URL?) throws {
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("stowage-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        errorURL = self.directory.appendingPathComponent("server-\(UUID().uuidString).stderr")
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        guard FileManager.default.isExecutableFile(atPath: Self.executable.path) else {
            throw ExternalTool.Failure(description: "no built stowage binary beside the tests (\(Self.executable.path)); run `swift build --build-tests`")
        }
        process = try Spawned(
            Self.executable,
            ["serve", "--data-dir", self.directory.appendingPathComponent("data").path, "--listen", "127.0.0.1:0"] + arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
            input: .handle(FileHandle.nullDevice), output: .pipe(output.pipe), error: .handle(try FileHandle(forWritingTo: errorURL)))
    }

    var lines: [String] { output.lines }

    var pid: Int32 { process.processIdentifier }

    /// Sends `signal` (SIGHUP: reload the certificate).
    func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// The first administrator's token a fresh install in token mode prints once.
    var bootstrapToken: String? {
        guard let announcement = lines.firstIndex(where: { $0.contains("created the first administrator") }),
              announcement + 1 < lines.count
        else { return nil }
        return lines[announcement + 1].trimmingCharacters(in: .whitespaces)
    }

    /// The server's resident memory and its peak so far, in bytes (VmRSS, VmHWM).
    func memory() throws -> (resident: Int, peak: Int) {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func field(_ name: String) -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
            return (Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? 0) * 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    var standardError: String { (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "" }

    private func listeningPort() -> Int? {
        for line in lines {
            guard let prefix = ["stowage: listening on http://127.0.0.1:", "stowage: listening on https://127.0.0.1:"]
                .first(where: line.hasPrefix) else { continue }
            let rest = line.dropFirst(prefix.count)
            if let port = Int(rest.prefix(while: \.isNumber)), port > 0 { return port }
        }
        return nil
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status (nil if it did not stop in
    /// time or died of a signal, which the caller reports). Removes the data directory unless
    /// told to keep it.
    func stop(keepingData: Bool = false) async -> Int32? {
        defer {
            output.stop()
            if !keepingData { try? FileManager.default.removeItem(at: directory) }
        }
        guard process.isRunning else { return process.terminatedBySignal ? nil : process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        return process.terminatedBySignal ? nil : process.terminationStatus
    }

    struct Response {
        let status: Int
        let body: Data
        let headers: [String: String]
        func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    /// Waits for a server that is expected to die (a crash test's SIGKILL); true if it died of
    /// a signal within `seconds`.
    func waitForDeath(seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        guard !process.isRunning else { return false }
        output.stop()
        return process.terminatedBySignal
    }

    /// A plain HTTP request to the server, bypassing every client.
    func request(
        _ method: String, _ path: String, accept: String? = nil, headers: [String: String] = [:], body: Data? = nil
    ) async throws -> Response {
        try await Self.request(to: host, method, path, accept: accept, headers: headers, body: body)
    }

    /// A plain HTTP request to `host` (`127.0.0.1:PORT`): a server, or a proxy in front of several.
    static func request(
        to host: String, _ method: String, _ path: String, accept: String? = nil, headers: [String: String] = [:], body: Data? = nil
    ) async throws -> Response {
        var request = URLRequest(url: URL(string: "http://\(host)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 60
        if let accept { request.setValue(accept, forHTTPHeaderField: "Accept") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let (body, http) = try await LoopbackHTTP.send(request)
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers["\(key)"] = "\(value)" }
        return Response(status: http.statusCode, body: body, headers: headers)
    }
}

extension ServerProcess {
    /// Runs `body` against a fresh server, then stops it with SIGTERM whatever happened, and
    /// returns its exit status alongside (the caller expects 0).
    static func with(
        arguments: [String] = [], environment: [String: String] = [:], _ body: (ServerProcess) async throws -> Void
    ) async throws -> Int32? {
        let server = try await start(arguments: arguments, environment: environment)
        do {
            try await body(server)
        } catch {
            _ = await server.stop()
            throw error
        }
        return await server.stop()
    }
}
