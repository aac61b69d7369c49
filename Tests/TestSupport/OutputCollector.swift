import Foundation

/// Collects what a child process writes to a pipe while it runs, so a test can wait for a line
/// (a server's "listening on") without blocking on the pipe.
public final class OutputCollector: @unchecked Sendable {
    // @unchecked: `output` is only touched under `lock`, by the pipe's reader and the test.
    private let lock = NSLock()
    private var output = Data()
    public let pipe = Pipe()

    public init() {
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            self.lock.lock()
            self.output.append(data)
            self.lock.unlock()
        }
    }

    /// Stops reading; what was collected stays available.
    public func stop() {
        pipe.fileHandleForReading.readabilityHandler = nil
    }

    public var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
