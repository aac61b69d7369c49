import Synchronization

/// Objects costly to make (aligned buffers, compression contexts), kept for reuse: `take` hands
/// one out or makes a new one, `give` keeps it unless `limit` are kept already.
final class ObjectPool<Object: AnyObject & Sendable>: Sendable {
    private let free = Mutex<[Object]>([])
    private let limit: Int
    private let make: @Sendable () -> Object

    init(limit: Int, make: @escaping @Sendable () -> Object) {
        self.limit = limit
        self.make = make
    }

    func take() -> Object {
        free.withLock { $0.popLast() } ?? make()
    }

    func give(_ object: Object) {
        free.withLock { free in
            if free.count < limit { free.append(object) }
        }
    }
}
