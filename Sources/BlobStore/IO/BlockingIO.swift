import Dispatch

/// Runs a blocking system call (fdatasync above all, which can take milliseconds) off the Swift
/// cooperative pool, whose few threads must stay free for request handling.
///
/// Async functions in this module use untyped `throws` (the errors are BlobStoreError): Swift
/// 6.3 miscompiles the async frames of functions with typed throws, an out-of-bounds write that
/// AddressSanitizer caught in the upload path.
enum BlockingIO {
    private static let queue = DispatchQueue(label: "stowage.blocking-io", attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
