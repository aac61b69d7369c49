import AsyncHTTPClient
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// A plain HTTP exchange for tests, through async-http-client. Not URLSession: FoundationNetworking
/// waits for its session queue with `DispatchQueue.sync` on the cooperative pool (under a suite's
/// worth of large bodies that held the pool's threads for seconds), and some of its requests to a
/// server whose database was being killed never completed at all, not even by their timeout.
public enum LoopbackHTTP {
    public static func send(_ request: URLRequest) async throws -> (body: Data, response: HTTPURLResponse) {
        guard let url = request.url else { throw URLError(.badURL) }
        var outgoing = HTTPClientRequest(url: url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.httpMethod ?? "GET")
        for (name, value) in request.allHTTPHeaderFields ?? [:] { outgoing.headers.add(name: name, value: value) }
        if let body = request.httpBody { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let timeout = TimeAmount.seconds(Int64(max(1, request.timeoutInterval)))
        let response = try await client.execute(outgoing, timeout: timeout)
        let body = try await response.body.collect(upTo: 1 << 30)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name] = headers[header.name].map { "\($0), \(header.value)" } ?? header.value }
        guard let http = HTTPURLResponse(url: url, statusCode: Int(response.status.code), httpVersion: "HTTP/1.1", headerFields: headers) else {
            throw URLError(.badServerResponse)
        }
        return (Data(body.readableBytesView), http)
    }

    /// Follows redirects as URLSession did; never shut down (it lives as long as the test process).
    /// Event loops of its own: the in-process servers of the other tests run on the shared ones,
    /// and the clients' large bodies must not queue their requests behind them.
    private static let client = HTTPClient(
        eventLoopGroup: MultiThreadedEventLoopGroup(numberOfThreads: 2),
        configuration: .init(redirectConfiguration: .follow(max: 5, allowCycles: false), timeout: .init(connect: .seconds(10))))
}
