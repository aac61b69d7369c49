import BlobStore
import Foundation

/// A progress bar with rate and time left, redrawn on standard error while a check reads
/// payloads; drawn only when standard error is a terminal, so logs and pipes stay clean.
struct ProgressBar: Sendable {
    let progress: CheckProgress
    let label: String

    static var isTerminal: Bool { isatty(FileHandle.standardError.fileDescriptor) == 1 }

    /// Redraws until cancelled, then clears the line.
    func run() async {
        // The clock starts with the payload pass, so that the framing before it does not
        // drag the rate down; bytes done before the first tick are left out of the rate.
        var start: (time: ContinuousClock.Instant, done: UInt64)?
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(200))
            guard progress.expected > 0 else { continue }
            guard let started = start else {
                start = (ContinuousClock.now, progress.completed)
                continue
            }
            draw(elapsed: ContinuousClock.now - started.time, since: started.done)
        }
        StandardError.write("\r\u{1B}[K")
    }

    private func draw(elapsed: Duration, since base: UInt64) {
        let total = progress.expected, done = progress.completed
        guard total > 0 else { return }
        let fraction = Swift.min(1, Double(done) / Double(total))
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(done - Swift.min(base, done)) / seconds : 0
        let left = rate > 0 ? Double(total - Swift.min(done, total)) / rate : 0
        let width = 30, filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        StandardError.write(
            "\r\(label) [\(bar)] \(Int(fraction * 100))%  \(Format.bytes(UInt64(rate)))/s  \(Format.duration(left)) left\u{1B}[K")
    }
}
