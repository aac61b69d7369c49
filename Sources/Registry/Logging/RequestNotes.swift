import Synchronization

/// What the access log learns about a request while it is handled: who the caller turned out to
/// be. Set by the authenticator through a task-local, so the routes between need not carry it.
final class RequestNotes: Sendable {
    @TaskLocal static var current: RequestNotes?

    private let state = Mutex<String?>(nil)

    var user: String? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
