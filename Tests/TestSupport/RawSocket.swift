import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to the loopback registry, for what an HTTP client library hides
/// (interim `100 Continue` answers, malformed requests, slow clients).
///
/// Every wait runs on a dispatch thread, not on the cooperative pool: that pool has two threads
/// here, and a test blocked in `poll` on one of them starves the in-process servers of every
/// test running beside it. Unchecked Sendable: the descriptor never changes, and one test uses
/// a socket at a time.
public final class RawSocket: @unchecked Sendable {
    private let descriptor: Int32

    /// A connection to 127.0.0.1:`port`, from the loopback address `source` (another client,
    /// as far as the server can tell) or from 127.0.0.1.
    public init(port: Int, from source: String = "127.0.0.1") throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var local = Self.address(source, port: 0)
        var remote = Self.address("127.0.0.1", port: port)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, connected == 0 else {
            close(descriptor)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    private static func address(_ host: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        return address
    }

    deinit { close(descriptor) }

    public func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(descriptor, bytes, bytes.count, 0) == bytes.count else { throw POSIXError(.EIO) }
    }

    public func send(_ bytes: [UInt8]) throws {
        guard Glibc.send(descriptor, bytes, bytes.count, 0) == bytes.count else { throw POSIXError(.EIO) }
    }

    /// Closes the connection both ways, as a client that goes away in the middle of a request.
    public func hangUp() {
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// One whole answer: the status line and headers, then as many body bytes as its
    /// Content-Length says; nil if no whole head arrives within the timeout.
    public func receiveAnswer(timeoutMilliseconds: Int32) async throws -> RawAnswer? {
        try await Self.offPool { self.receiveAnswerBlocking(timeoutMilliseconds: timeoutMilliseconds) }
    }

    private func receiveAnswerBlocking(timeoutMilliseconds: Int32) -> RawAnswer? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while true {
            if let answer = RawAnswer(parsing: received) { return answer }
            guard poll(&poller, 1, timeoutMilliseconds) > 0 else { return nil }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { return RawAnswer(parsing: received, closed: true) }
            received += buffer[..<count]
        }
    }

    /// What arrives within the timeout (empty if nothing does).
    public func receive(timeoutMilliseconds: Int32) async throws -> String {
        try await Self.offPool { try self.receiveBlocking(timeoutMilliseconds: timeoutMilliseconds) }
    }

    private func receiveBlocking(timeoutMilliseconds: Int32) throws -> String {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMilliseconds) > 0 else { return "" }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
    }

    /// Everything that arrives until the server closes the connection, or the timeout passes
    /// without a byte.
    public func receiveUntilClosed(timeoutMilliseconds: Int32) async throws -> [UInt8] {
        try await Self.offPool { self.receiveUntilClosedBlocking(timeoutMilliseconds: timeoutMilliseconds) }
    }

    private func receiveUntilClosedBlocking(timeoutMilliseconds: Int32) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while poll(&poller, 1, timeoutMilliseconds) > 0 {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            received += buffer[..<count]
        }
        return received
    }

    /// Whether the server closes the connection within the timeout (reading and dropping
    /// whatever it sends first).
    public func closes(withinMilliseconds timeout: Int32) async -> Bool {
        (try? await Self.offPool { self.closesBlocking(withinMilliseconds: timeout) }) ?? false
    }

    private func closesBlocking(withinMilliseconds timeout: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout))
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            let milliseconds = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
            guard poll(&poller, 1, max(milliseconds, 1)) > 0 else { return false }
            if recv(descriptor, &buffer, buffer.count, 0) <= 0 { return true }
        }
    }

    /// Sends without failing when the server has closed the connection already.
    public func sendIfOpen(_ text: String) {
        let bytes = Array(text.utf8)
        _ = Glibc.send(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL))
    }

    private static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}

/// An HTTP/1.1 answer as it came off the socket.
public struct RawAnswer: Sendable {
    public let status: Int
    /// Header names lowercased; the last value of a repeated header.
    public let headers: [String: String]
    public let body: [UInt8]

    /// nil until the head and the body its Content-Length announces have all arrived (or the
    /// connection closed after the head).
    init?(parsing bytes: [UInt8], closed: Bool = false) {
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let lines = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = lines[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = Array(bytes[end.upperBound...])
        let length = headers["content-length"].flatMap { Int($0) } ?? 0
        guard body.count >= length || closed else { return nil }
        self.status = status
        self.headers = headers
        self.body = Array(body.prefix(length))
    }
}
