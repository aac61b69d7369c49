import Foundation

/// Standard error, unbuffered, for the progress bar and for messages that must not mix with
/// the report on standard output.
enum StandardError {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
