import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A plain HTTP exchange for tests, run on a thread of its own rather than the cooperative pool:
/// FoundationNetworking's URLSession waits for its session queue with `DispatchQueue.sync`, and
/// under a suite's worth of large bodies those waits held the pool's threads for seconds,
/// stalling every other test of the process.
public enum LoopbackHTTP {
    public static func send(_ request: URLRequest) async throws -> (body: Data, response: HTTPURLResponse) {
        try await PostgresTestCluster.offPool {
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var outcome: Result<(Data, HTTPURLResponse), any Error> = .failure(URLError(.unknown))
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let data, let response = response as? HTTPURLResponse {
                    outcome = .success((data, response))
                } else {
                    outcome = .failure(error ?? URLError(.badServerResponse))
                }
                done.signal()
            }.resume()
            done.wait()
            return try outcome.get()
        }
    }
}
