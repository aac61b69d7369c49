import Foundation

/// A built executable of this package run as a child process, its standard output collected.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: `output` is only touched under `lock`, by the pipe's reader and the test.
    private let process = Process()
    private let lock = NSLock()
    private var output = Data()

    /// `swift build --build-tests` puts executables beside the test bundle.
    static func executable(_ name: String) -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent(name)
    }

    init(_ name: String, arguments: [String]) throws {
        process.executableURL = Self.executable(name)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            self.lock.lock()
            self.output.append(data)
            self.lock.unlock()
        }
        try process.run()
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }

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
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // Let the pipe's reader drain what was written before the kill.
        Thread.sleep(forTimeInterval: 0.05)
    }
}
