/// What went wrong talking to the object store. Callers decide by `kind`: a missing object is an
/// answer, a refused write-once PUT means the object exists, and `unavailable` (the store did not
/// answer, or answered 5xx after every retry) is what the registry reports as 503.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// 404: no such key, upload or bucket.
        case notFound
        /// 412: `If-None-Match: *` on an existing key, or another precondition.
        case preconditionFailed
        /// 416: a range past the object's end.
        case rangeNotSatisfiable
        /// The store did not answer, timed out, or kept answering 5xx/429.
        case unavailable
        /// The store refused the request (4xx): credentials, signature, a bad request.
        case refused
        /// The store answered something this client cannot read.
        case malformedAnswer
    }

    public let kind: Kind
    /// The S3 error code (`NoSuchKey`, `SignatureDoesNotMatch`, …) or the transport error.
    public let code: String
    public let message: String
    public let status: Int?
    /// The operation and key, e.g. `PUT blobs/sha256/ab/…`.
    public let operation: String

    public init(kind: Kind, code: String, message: String, status: Int? = nil, operation: String) {
        self.kind = kind
        self.code = code
        self.message = message
        self.status = status
        self.operation = operation
    }

    public var description: String {
        let status = status.map { " (HTTP \($0))" } ?? ""
        return "object store \(operation): \(code)\(status)\(message.isEmpty ? "" : ": \(message)")"
    }

    /// From an error response: its status and the `<Error>` document S3 sends with it.
    static func answer(status: Int, body: [UInt8], operation: String) -> S3Error {
        let document = S3XML(body)
        let code = document.text("Code") ?? "HTTP\(status)"
        let message = document.text("Message") ?? ""
        let kind: Kind
        switch status {
        case 404: kind = .notFound
        case 412: kind = .preconditionFailed
        case 416: kind = .rangeNotSatisfiable
        case 429, 500...: kind = .unavailable
        default: kind = code == "SlowDown" ? .unavailable : .refused
        }
        return S3Error(kind: kind, code: code, message: message, status: status, operation: operation)
    }
}
