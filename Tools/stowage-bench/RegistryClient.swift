import AsyncHTTPClient
import BlobStore
import NIOCore
import NIOHTTP1

/// The OCI Distribution API calls the scenarios make, over one keep-alive HTTP/1.1 client.
///
/// Every call checks the status the specification requires and throws a `BenchError` naming
/// the request otherwise; every response body is read to the end so that its connection goes
/// back to the pool.
struct RegistryClient: Sendable {
    static let manifestMediaType = "application/vnd.oci.image.manifest.v1+json"
    static let manifestAccept = [
        manifestMediaType,
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ].joined(separator: ", ")

    private let http: HTTPClient
    /// `http://127.0.0.1:PORT`, no trailing slash.
    let baseURL: String
    private let deadline: TimeAmount

    init(http: HTTPClient, baseURL: String, requestTimeout: TimeAmount) {
        self.http = http
        self.baseURL = baseURL
        self.deadline = requestTimeout
    }

    /// `GET /v2/`: whether anything that speaks the API answers at all.
    func checkAPI() async throws {
        let response = try await send(.GET, "/v2/")
        try await expect(response, [.ok], "GET /v2/")
    }

    // MARK: Blobs

    /// `POST /v2/<name>/blobs/uploads/`; returns the session's location (path and query).
    func startUpload(repository: String) async throws -> String {
        let response = try await send(.POST, "/v2/\(repository)/blobs/uploads/")
        try await expect(response, [.accepted], "POST upload \(repository)")
        return try location(of: response, "POST upload \(repository)")
    }

    /// POST, then one PUT `?digest=` carrying the whole blob.
    func pushMonolithic(repository: String, blob: BlobCorpus.Blob) async throws {
        let session = try await startUpload(repository: repository)
        try await finishUpload(at: session, digest: blob.digest, body: blob.bytes)
    }

    /// POST, a PATCH per `chunkSize` bytes with `Content-Range`, then an empty PUT `?digest=`.
    func pushChunked(repository: String, blob: BlobCorpus.Blob, chunkSize: Int) async throws {
        var session = try await startUpload(repository: repository)
        var offset = 0
        while offset < blob.size {
            let length = min(chunkSize, blob.size - offset)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/octet-stream")
            headers.add(name: "Content-Range", value: "\(offset)-\(offset + length - 1)")
            let chunk = blob.bytes.getSlice(at: blob.bytes.readerIndex + offset, length: length)!
            let response = try await send(.PATCH, session, headers: headers, body: chunk)
            try await expect(response, [.accepted], "PATCH \(repository) at \(offset)")
            session = try location(of: response, "PATCH \(repository)")
            offset += length
        }
        try await finishUpload(at: session, digest: blob.digest, body: nil)
    }

    private func finishUpload(at session: String, digest: Digest, body: ByteBuffer?) async throws {
        let separator = session.contains("?") ? "&" : "?"
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/octet-stream")
        let response = try await send(.PUT, "\(session)\(separator)digest=\(digest)", headers: headers, body: body)
        try await expect(response, [.created], "PUT \(digest)")
    }

    /// `GET` a blob, hashing it as it streams; returns the number of bytes received.
    func pullVerified(repository: String, blob: BlobCorpus.Blob) async throws -> Int {
        let response = try await send(.GET, "/v2/\(repository)/blobs/\(blob.digest)")
        guard response.status == .ok else { try await reject(response, "GET blob \(blob.digest)") }
        var hasher = SHA256Hasher()
        var received = 0
        for try await buffer in response.body {
            received += buffer.readableBytes
            buffer.withUnsafeReadableBytes { hasher.update($0) }
        }
        let digest = hasher.finalize()
        guard received == blob.size, digest == blob.digest else {
            throw BenchError("GET blob \(blob.digest): received \(received) bytes hashing to \(digest)")
        }
        return received
    }

    /// `HEAD` a blob: true for 200 with the right length and digest, false for 404.
    func blobExists(repository: String, blob: BlobCorpus.Blob) async throws -> Bool {
        let response = try await send(.HEAD, "/v2/\(repository)/blobs/\(blob.digest)")
        try await expect(response, [.ok, .notFound], "HEAD blob \(blob.digest)")
        guard response.status == .ok else { return false }
        let length = response.headers.first(name: "Content-Length")
        let digest = response.headers.first(name: "Docker-Content-Digest")
        guard length == String(blob.size), digest == nil || digest == blob.digest.description else {
            throw BenchError("HEAD blob \(blob.digest): Content-Length \(length ?? "none"), digest \(digest ?? "none")")
        }
        return true
    }

    /// `POST /v2/<name>/blobs/uploads/?mount=&from=`; a 202 means the registry opened an upload
    /// instead of mounting, which for a benchmark of mounts is a failure.
    func mount(repository: String, from source: String, digest: Digest) async throws {
        let response = try await send(.POST, "/v2/\(repository)/blobs/uploads/?mount=\(digest)&from=\(source)")
        try await expect(response, [.created], "mount \(digest) into \(repository)")
    }

    // MARK: Manifests and tags

    func putManifest(repository: String, reference: String, manifest: ImageManifest) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: Self.manifestMediaType)
        let response = try await send(.PUT, "/v2/\(repository)/manifests/\(reference)", headers: headers, body: manifest.bytes)
        try await expect(response, [.created], "PUT manifest \(repository):\(reference)")
    }

    /// `GET` a manifest and check that its bytes hash to `expected`.
    func getManifest(repository: String, reference: String, expected: Digest) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: Self.manifestAccept)
        let response = try await send(.GET, "/v2/\(repository)/manifests/\(reference)", headers: headers)
        guard response.status == .ok else { try await reject(response, "GET manifest \(repository):\(reference)") }
        let body = try await response.body.collect(upTo: 4 << 20)
        var hasher = SHA256Hasher()
        body.withUnsafeReadableBytes { hasher.update($0) }
        let digest = hasher.finalize()
        guard digest == expected else {
            throw BenchError("GET manifest \(repository):\(reference): body hashes to \(digest), not \(expected)")
        }
    }

    /// `GET /v2/<name>/tags/list`: the first page's tags and whether a `Link` to more follows.
    func listTags(repository: String) async throws -> (tags: [String], more: Bool) {
        let response = try await send(.GET, "/v2/\(repository)/tags/list")
        guard response.status == .ok else { try await reject(response, "GET tags \(repository)") }
        let body = try await response.body.collect(upTo: 16 << 20)
        let list = try TagList(json: body)
        return (list.tags, response.headers.first(name: "Link") != nil)
    }

    /// `GET` a page of Stowage's web interface, checking that it says `expected`.
    func getPage(_ path: String, expecting expected: String) async throws {
        let response = try await send(.GET, path)
        guard response.status == .ok else { try await reject(response, "GET \(path)") }
        let body = try await response.body.collect(upTo: 16 << 20)
        guard String(buffer: body).contains(expected) else { throw BenchError("GET \(path): the page does not say \(expected)") }
    }

    // MARK: Transport

    private func send(
        _ method: HTTPMethod,
        _ pathAndQuery: String,
        headers: HTTPHeaders = [:],
        body: ByteBuffer? = nil
    ) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: baseURL + pathAndQuery)
        request.method = method
        request.headers = headers
        if let body { request.body = .bytes(body) }
        return try await http.execute(request, timeout: deadline)
    }

    /// Drains the body; throws unless the status is one of `allowed`.
    private func expect(_ response: HTTPClientResponse, _ allowed: [HTTPResponseStatus], _ what: String) async throws {
        guard allowed.contains(response.status) else { try await reject(response, what) }
        for try await _ in response.body {}
    }

    /// Drains the body and throws, quoting the start of the registry's error body.
    private func reject(_ response: HTTPClientResponse, _ what: String) async throws -> Never {
        let body = try await response.body.collect(upTo: 1 << 20)
        throw BenchError("\(what): HTTP \(response.status.code) \(String(buffer: body).prefix(200))")
    }

    /// The `Location` header as a path and query. Only the path is kept, so that requests keep
    /// going to `baseURL` (loopback) whatever host a registry writes into its absolute URLs.
    private func location(of response: HTTPClientResponse, _ what: String) throws -> String {
        guard let value = response.headers.first(name: "Location") else {
            throw BenchError("\(what): no Location header")
        }
        guard !value.hasPrefix("/") else { return value }
        for scheme in ["http://", "https://"] where value.hasPrefix(scheme) {
            let authority = value.dropFirst(scheme.count)
            return String(authority[(authority.firstIndex(of: "/") ?? authority.endIndex)...])
        }
        throw BenchError("\(what): Location \(value) is neither a path nor an http(s) URL")
    }
}
