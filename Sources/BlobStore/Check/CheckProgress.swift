import Synchronization

/// How far a check has come, for a progress bar: payload bytes read so far out of the total the
/// current level will read. Updated by the checking threads, read by whoever draws the bar.
public final class CheckProgress: Sendable {
    private let done = Atomic<UInt64>(0)
    private let total = Atomic<UInt64>(0)

    public init() {}

    public var completed: UInt64 { done.load(ordering: .relaxed) }
    public var expected: UInt64 { total.load(ordering: .relaxed) }

    func add(_ bytes: UInt64) {
        done.add(bytes, ordering: .relaxed)
    }

    func start(expecting bytes: UInt64) {
        done.store(0, ordering: .relaxed)
        total.store(bytes, ordering: .relaxed)
    }
}
