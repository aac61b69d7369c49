#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Progress lines on standard error, so that standard output carries only the table or JSON.
enum ProgressLog {
    static func say(_ message: String) {
        let line = message + "\n"
        // write(2) on the descriptor: the C `stderr` global is not concurrency-safe in Swift 6.
        _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    }
}
