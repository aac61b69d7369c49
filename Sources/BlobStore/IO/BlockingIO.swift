import Dispatch

/// Runs a blocking system call (fdatasync above all, which can take milliseconds) off the Swift
/// cooperative pool, whose few threads must stay free for request handling.
enum BlockingIO {
    static let queue = DispatchQueue(label: "stowage.blocking-io", attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
