import Foundation
import Synchronization

/// One line per request, written by a thread of its own: a request only formats its line and
/// appends it to a buffer, so a slow terminal or disk never slows the requests. Past
/// `capacity` lines waiting, new lines are dropped and counted, and the count is written when
/// the writer catches up: under a flood the log loses lines, never the server its memory.
public final class AccessLog: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case off
        case text
        case json
    }

    /// What one request did, as the log line says it.
    struct Entry: Sendable, Encodable {
        var time: Date
        var remote: String
        var user: String?
        var method: String
        var path: String
        var status: Int
        var bytesIn: Int
        var bytesOut: Int
        var duration: Duration
        var requestID: String
        var aborted = false

        var milliseconds: Double {
            Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        }

        private enum CodingKeys: String, CodingKey {
            case time, remote, user, method, path, status, bytesIn = "bytes_in", bytesOut = "bytes_out"
            case duration = "duration_ms", requestID = "request_id", aborted
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(AccessLog.timestamp(time), forKey: .time)
            try container.encode(remote, forKey: .remote)
            try container.encodeIfPresent(user, forKey: .user)
            try container.encode(method, forKey: .method)
            try container.encode(path, forKey: .path)
            try container.encode(status, forKey: .status)
            try container.encode(bytesIn, forKey: .bytesIn)
            try container.encode(bytesOut, forKey: .bytesOut)
            try container.encode((milliseconds * 10).rounded() / 10, forKey: .duration)
            try container.encode(requestID, forKey: .requestID)
            if aborted { try container.encode(true, forKey: .aborted) }
        }
    }

    private struct Queue {
        var lines: [String] = []
        var dropped = 0
        var closed = false
    }

    let format: Format
    let capacity: Int
    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let output: FileHandle

    /// - Parameter output: standard output by default; the server's own log goes to standard
    ///   error, so the two can be sent to different places.
    public init(format: Format, output: FileHandle = .standardOutput, capacity: Int = 10_000) {
        self.format = format
        self.output = output
        self.capacity = capacity
        guard format != .off else { return }
        let thread = Thread { [self] in drain() }
        thread.name = "stowage-access-log"
        thread.start()
    }

    /// Stops the writer once every line queued is written.
    public func close() {
        queue.withLock { $0.closed = true }
        wake.signal()
    }

    func record(_ entry: Entry) {
        guard format != .off else { return }
        let line = format == .json ? Self.json(entry) : Self.text(entry)
        let queued = queue.withLock { queue -> Bool in
            guard queue.lines.count < capacity else {
                queue.dropped += 1
                return false
            }
            queue.lines.append(line)
            return true
        }
        if queued { wake.signal() }
    }

    private func drain() {
        while true {
            wake.wait()
            let (lines, dropped, closed) = queue.withLock { queue in
                defer { queue.lines.removeAll(keepingCapacity: true); queue.dropped = 0 }
                return (queue.lines, queue.dropped, queue.closed)
            }
            var text = lines.joined()
            if dropped > 0 { text += "access log: \(dropped) lines dropped while the writer was behind\n" }
            if !text.isEmpty { try? output.write(contentsOf: Data(text.utf8)) }
            if closed { return }
        }
    }

    static func text(_ entry: Entry) -> String {
        "\(timestamp(entry.time)) \(entry.remote) \(entry.user ?? "-") \"\(entry.method) \(entry.path)\" \(entry.status)"
            + " in=\(entry.bytesIn) out=\(entry.bytesOut) \(String(format: "%.1f", entry.milliseconds))ms id=\(entry.requestID)"
            + (entry.aborted ? " aborted" : "") + "\n"
    }

    static func json(_ entry: Entry) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(entry)) ?? Data(), as: UTF8.self) + "\n"
    }

    /// UTC with milliseconds: `2026-12-03T08:10:00.123Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
