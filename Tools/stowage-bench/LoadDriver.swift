import Synchronization

/// Runs operations `0..<count` from `concurrency` workers, each starting its next operation as
/// soon as its last one finished (a closed loop, like a set of busy clients), until the count is
/// done or `timeLimit` has passed.
struct LoadDriver: Sendable {
    struct Outcome: Sendable {
        var succeeded = 0
        var failed = 0
        var bytes = 0
        var latencies = LatencyRecorder()
        var firstError: String?
        var elapsed = Duration.zero
    }

    /// Hands out operation numbers; a class so that all workers share one counter.
    private final class Ticket: Sendable {
        private let next = Mutex(0)

        func take() -> Int {
            next.withLock { value in
                defer { value += 1 }
                return value
            }
        }
    }

    let count: Int
    let concurrency: Int
    let timeLimit: Duration

    /// `operation` returns the payload bytes it moved (0 for metadata operations).
    func run(_ operation: @escaping @Sendable (Int) async throws -> Int) async -> Outcome {
        let ticket = Ticket()
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + timeLimit
        let perWorker = count / max(concurrency, 1) + 1
        var total = await withTaskGroup(of: Outcome.self) { group in
            for _ in 0..<max(concurrency, 1) {
                group.addTask {
                    var outcome = Outcome(latencies: LatencyRecorder(reservingCapacity: perWorker))
                    while clock.now < deadline {
                        let index = ticket.take()
                        guard index < count else { break }
                        let began = clock.now
                        do {
                            outcome.bytes += try await operation(index)
                            outcome.latencies.record(clock.now - began)
                            outcome.succeeded += 1
                        } catch {
                            outcome.failed += 1
                            if outcome.firstError == nil { outcome.firstError = "\(error)" }
                        }
                    }
                    return outcome
                }
            }
            var merged = Outcome()
            for await outcome in group {
                merged.succeeded += outcome.succeeded
                merged.failed += outcome.failed
                merged.bytes += outcome.bytes
                merged.latencies.merge(outcome.latencies)
                if merged.firstError == nil { merged.firstError = outcome.firstError }
            }
            return merged
        }
        total.elapsed = clock.now - start
        return total
    }
}
