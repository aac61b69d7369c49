import Logging
import Synchronization

/// Bounds how often a kind of log line is written: at most `burst` lines of one kind per
/// `interval`; the rest are counted, and the next line of that kind that is written says how
/// many were left out. A client that fails logins or sends malformed requests in a loop then
/// costs the log a few lines a second, not a line per request. Kinds are fixed strings of the
/// code, never request data, so the table stays small.
final class LogThrottle: Sendable {
    private struct Window {
        var start: ContinuousClock.Instant
        var written = 0
        var suppressed = 0
    }

    let burst: Int
    let interval: Duration
    private let windows = Mutex<[String: Window]>([:])

    init(burst: Int = 20, interval: Duration = .seconds(10)) {
        self.burst = burst
        self.interval = interval
    }

    /// Whether a line of `kind` may be written now, and how many lines of that kind were left
    /// out since the last one written.
    func admit(_ kind: String, now: ContinuousClock.Instant = .now) -> (write: Bool, suppressed: Int) {
        windows.withLock { table in
            var window = table[kind] ?? Window(start: now)
            if now - window.start >= interval {
                window = Window(start: now, suppressed: window.suppressed)
            }
            guard window.written < burst else {
                window.suppressed += 1
                table[kind] = window
                return (false, 0)
            }
            let suppressed = window.suppressed
            window.written += 1
            window.suppressed = 0
            table[kind] = window
            return (true, suppressed)
        }
    }
}

extension Logger {
    /// Logs `message` unless `throttle` has had enough lines of it lately; the message itself
    /// is the kind, so it must not contain request data (that goes in `metadata`, escaped).
    func throttled(
        _ level: Logger.Level, _ message: String, metadata: Logger.Metadata, by throttle: LogThrottle
    ) {
        let (write, suppressed) = throttle.admit(message)
        guard write else { return }
        var metadata = metadata
        if suppressed > 0 { metadata["suppressed_since_last"] = "\(suppressed)" }
        log(level: level, "\(message)", metadata: metadata)
    }
}
