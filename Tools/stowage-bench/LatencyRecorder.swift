/// Latencies of the operations that succeeded, in nanoseconds.
///
/// Each worker keeps its own recorder and the driver merges them at the end, so recording an
/// operation never takes a lock that would itself show up in the latencies.
struct LatencyRecorder: Sendable {
    private(set) var nanoseconds: [Int64] = []

    init(reservingCapacity capacity: Int = 0) {
        nanoseconds.reserveCapacity(capacity)
    }

    var count: Int { nanoseconds.count }

    mutating func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        nanoseconds.append(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    mutating func merge(_ other: LatencyRecorder) {
        nanoseconds.append(contentsOf: other.nanoseconds)
    }

    /// The `fraction` quantile in milliseconds by the nearest-rank method, nil when nothing
    /// succeeded; nearest-rank so that p99 of a small sample is a latency that really happened.
    func percentileMilliseconds(_ fraction: Double) -> Double? {
        percentilesMilliseconds([fraction])?.first
    }

    func percentilesMilliseconds(_ fractions: [Double]) -> [Double]? {
        guard !nanoseconds.isEmpty else { return nil }
        let sorted = nanoseconds.sorted()
        return fractions.map { fraction in
            let rank = Int((fraction * Double(sorted.count)).rounded(.up))
            let index = min(max(rank, 1), sorted.count) - 1
            return Double(sorted[index]) / 1_000_000
        }
    }
}
