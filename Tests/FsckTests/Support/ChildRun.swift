import Foundation
import TestSupport
import Testing

/// A program run to completion: the built `stowage-fsck`, or a host tool such as gzip. Output is
/// collected through files so that no pipe can fill and stall the child.
struct ChildRun: CustomStringConvertible {
    let command: String
    let status: Int32
    let output: String
    let error: String

    var description: String { "`\(command)` exited \(status)\nstdout:\n\(output)\nstderr:\n\(error)" }

    /// The JSON document the child printed.
    func document() throws -> [String: Any] {
        let object = try? JSONSerialization.jsonObject(with: Data(output.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(self)")
    }

    static func fsck(_ arguments: [String]) throws -> ChildRun {
        try run(BuiltExecutable.url("stowage-fsck"), arguments)
    }

    static func run(_ executable: URL, _ arguments: [String], input: Data? = nil) throws -> ChildRun {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fsck-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        let inURL = scratch.appendingPathComponent("in")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: inURL.path, contents: input ?? Data())
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = try FileHandle(forReadingFrom: inURL)
        try process.run()
        process.waitUntilExit()
        return ChildRun(
            command: ([executable.lastPathComponent] + arguments).joined(separator: " "), status: process.terminationStatus,
            output: try String(contentsOf: outURL, encoding: .utf8), error: try String(contentsOf: errURL, encoding: .utf8))
    }
}
