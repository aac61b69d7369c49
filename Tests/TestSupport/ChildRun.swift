import Foundation

/// A program run to completion: a built executable of this package, or a host tool such as gzip.
/// Output is collected through files so that no pipe can fill and stall the child.
public struct ChildRun: CustomStringConvertible, Sendable {
    public let command: String
    public let status: Int32
    public let output: String
    public let error: String

    public var description: String { "`\(command)` exited \(status)\nstdout:\n\(output)\nstderr:\n\(error)" }

    public static func run(
        _ executable: URL, _ arguments: [String], input: Data? = nil, environment: [String: String] = [:]
    ) throws -> ChildRun {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("child-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        let inURL = scratch.appendingPathComponent("in")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: inURL.path, contents: input ?? Data())
        let process = try Spawned(
            executable, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
            input: .handle(try FileHandle(forReadingFrom: inURL)), output: .handle(try FileHandle(forWritingTo: outURL)),
            error: .handle(try FileHandle(forWritingTo: errURL)))
        process.waitUntilExit()
        return ChildRun(
            command: ([executable.lastPathComponent] + arguments).joined(separator: " "), status: process.terminationStatus,
            output: try String(contentsOf: outURL, encoding: .utf8), error: try String(contentsOf: errURL, encoding: .utf8))
    }
}
