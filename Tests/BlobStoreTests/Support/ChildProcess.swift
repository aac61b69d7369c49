import Foundation
import TestSupport

/// A built executable of this package run as a child process, its standard output collected.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: the Process is driven only by the test that made it; output has its own lock.
    private let process: Spawned
    private let output = OutputCollector()

    init(_ name: String, arguments: [String]) throws {
        process = try Spawned(BuiltExecutable.url(name), arguments, output: .pipe(output.pipe))
    }

    var lines: [String] { output.lines }

    /// Waits until a line satisfying `predicate` has been printed, or the time is up.
    func wait(for predicate: (String) -> Bool, seconds: Double) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if lines.contains(where: predicate) { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    func kill() {
        process.signal(SIGKILL)
        process.waitUntilExit()
        // Let the pipe's reader drain what was written before the kill.
        Thread.sleep(forTimeInterval: 0.05)
    }
}
