import Foundation
import TestSupport

/// A program of the host (skopeo, python3, tar, gzip, zstd) run to completion with a time limit,
/// its standard output and error collected through files so that neither pipe can fill and stall.
/// A tool that is not installed is an error that says how to install it: CI installs them all,
/// so a missing one must fail the test, not skip it.
struct ExternalTool {
    struct Run: CustomStringConvertible {
        let command: String
        let status: Int32
        let output: Data
        let error: String
        var text: String { String(decoding: output, as: UTF8.self) }
        var description: String { "`\(command)` exited \(status)\nstdout: \(text)\nstderr: \(error)" }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// How to get each tool, for the message when it is missing.
    static let installHints: [String: String] = [
        "skopeo": "apt-get install -y skopeo",
        "podman": "apt-get install -y podman",
        "openssl": "apt-get install -y openssl",
        "curl": "apt-get install -y curl",
        "nginx": "apt-get install -y nginx-light",
        "dockerd": "apt-get install -y docker.io",
        "python3": "apt-get install -y python3 python3-pip",
        "zstd": "apt-get install -y zstd",
        "gzip": "apt-get install -y gzip",
        "tar": "apt-get install -y tar",
    ]

    /// `name` itself if it is a path, else the first executable so named on PATH.
    static func locate(_ name: String) throws -> URL {
        if name.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: name) else { throw Failure(description: "\(name) is not an executable") }
            return URL(fileURLWithPath: name)
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        let hint = installHints[name].map { " (install it: \($0))" } ?? ""
        throw Failure(description: "required tool `\(name)` is not on PATH\(hint); these end-to-end tests do not skip without it")
    }

    /// Runs `name arguments` in `directory`, killing it after `seconds`. Throws if it cannot start
    /// or overruns; a non-zero exit is returned, not thrown (see `check`).
    static func run(_ name: String, _ arguments: [String], in directory: URL? = nil,
                    environment: [String: String] = [:], seconds: Double = 45) async throws -> Run {
        let executable = try locate(name)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let process = try Spawned(
            executable, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, directory: directory,
            input: .handle(FileHandle.nullDevice), output: .handle(out), error: .handle(err))
        try? out.close()
        try? err.close()
        let command = ([name] + arguments).joined(separator: " ")
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() > deadline {
                process.signal(SIGKILL)
                process.waitUntilExit()
                let error = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
                throw Failure(description: "`\(command)` did not finish in \(seconds) s; stderr: \(error)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return Run(command: command, status: process.terminationStatus,
                   output: (try? Data(contentsOf: outURL)) ?? Data(),
                   error: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// `run`, throwing with the command's output unless it exits 0.
    @discardableResult
    static func check(_ name: String, _ arguments: [String], in directory: URL? = nil,
                      environment: [String: String] = [:], seconds: Double = 45) async throws -> Run {
        let run = try await run(name, arguments, in: directory, environment: environment, seconds: seconds)
        guard run.status == 0 else { throw Failure(description: run.description) }
        return run
    }
}
