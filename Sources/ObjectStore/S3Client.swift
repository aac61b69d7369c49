import AsyncHTTPClient
import Crypto
import FoundationEssentials
import NIOCore
import NIOHTTP1

/// The S3 operations the registry's cluster store needs, over async-http-client, signed with
/// SigV4, addressed path-style (`/BUCKET/PREFIX+KEY`). Keys given and returned are relative to
/// `settings.prefix`.
///
/// Every request that may be sent twice is retried with backoff when the store does not answer,
/// times out, or answers 5xx/429 (`S3Error.Kind.unavailable` after the last try). That covers all
/// of them: bodies are whole buffers (a part, not a blob), writes are write-once or idempotent,
/// and a streamed GET is retried only until its answer starts.
public final class S3Client: Sendable {
    public let settings: S3Settings
    private let http: HTTPClient
    private let signer: SigV4Signer
    /// Told of every request sent (tries included): its operation and `ok`, `client_error`,
    /// `server_error` or `no_answer`; for metrics.
    private let observer: (@Sendable (_ operation: String, _ outcome: String) -> Void)?

    public init(settings: S3Settings, observer: (@Sendable (_ operation: String, _ outcome: String) -> Void)? = nil) {
        self.settings = settings
        self.observer = observer
        signer = SigV4Signer(credentials: settings.credentials, region: settings.region)
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(settings.requestTimeout.components.seconds)),
            connectionPool: .init(
                idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: settings.maximumConnections),
            decompression: .disabled
        )
        configuration.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    public func shutdown() async throws {
        try await http.shutdown()
    }

    // MARK: The bucket

    /// Creates the bucket; one that this account owns already is fine.
    public func createBucket() async throws {
        do {
            try await drain(try await send(.init(method: .PUT, body: ByteBuffer(), operation: "CreateBucket")))
        } catch let error as S3Error where error.code == "BucketAlreadyOwnedByYou" {}
    }

    /// Whether the bucket is there and these credentials reach it: the store's readiness.
    public func bucketExists() async throws -> Bool {
        do {
            try await drain(try await send(.init(method: .HEAD, operation: "HeadBucket")))
            return true
        } catch let error as S3Error where error.kind == .notFound {
            return false
        }
    }

    // MARK: Objects

    /// Stores `body` at `key`. With `ifAbsent` (the default) the PUT carries `If-None-Match: *`:
    /// an existing object is left alone and `S3Error.Kind.preconditionFailed` thrown. Returns the ETag.
    @discardableResult
    public func putObject(_ key: String, body: ByteBuffer, ifAbsent: Bool = true, metadata: [String: String] = [:]) async throws -> String {
        var headers = metadata.map { ("x-amz-meta-\($0.key)", $0.value) }
        if ifAbsent { headers.append(("if-none-match", "*")) }
        let response = try await send(.init(method: .PUT, key: key, headers: headers, body: body, operation: "PUT", signsPayload: false))
        try await drain(response)
        return response.headers.first(name: "etag") ?? ""
    }

    /// The object's bytes in `range` (all of it when nil), streamed as they arrive.
    public func getObject(_ key: String, range: Range<UInt64>? = nil) async throws -> S3ObjectBody {
        var headers = [(String, String)]()
        if let range {
            guard !range.isEmpty else { return S3ObjectBody(length: 0, etag: nil, body: nil) }
            headers.append(("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)"))
        }
        let response = try await send(
            .init(method: .GET, key: key, headers: headers, operation: "GET", expectedBytes: range.map { Int($0.count) }))
        let length = response.headers.first(name: "content-length").flatMap { UInt64($0) }
        return S3ObjectBody(length: length, etag: response.headers.first(name: "etag"), body: response.body)
    }

    /// The whole of a small object (or of a range of one), at most `limit` bytes.
    public func objectBytes(_ key: String, range: Range<UInt64>? = nil, limit: Int = 64 << 20) async throws -> ByteBuffer {
        var buffer = ByteBuffer()
        for try await chunk in try await getObject(key, range: range) {
            guard buffer.readableBytes + chunk.readableBytes <= limit else {
                throw S3Error(kind: .malformedAnswer, code: "TooLarge", message: "more than \(limit) bytes", operation: "GET \(key)")
            }
            buffer.writeImmutableBuffer(chunk)
        }
        return buffer
    }

    /// The object's size, ETag and metadata; nil when there is no such object.
    public func headObject(_ key: String) async throws -> S3ObjectInfo? {
        do {
            let response = try await send(.init(method: .HEAD, key: key, operation: "HEAD"))
            var metadata = [String: String]()
            for header in response.headers where header.name.lowercased().hasPrefix("x-amz-meta-") {
                metadata[String(header.name.lowercased().dropFirst(11))] = header.value
            }
            guard let size = response.headers.first(name: "content-length").flatMap({ UInt64($0) }) else {
                throw S3Error(kind: .malformedAnswer, code: "NoLength", message: "HEAD without Content-Length", operation: "HEAD \(key)")
            }
            return S3ObjectInfo(key: key, size: size, etag: response.headers.first(name: "etag") ?? "", metadata: metadata)
        } catch let error as S3Error where error.kind == .notFound {
            return nil
        }
    }

    /// Deletes `key`; deleting a missing object succeeds, as in S3.
    public func deleteObject(_ key: String) async throws {
        try await drain(try await send(.init(method: .DELETE, key: key, operation: "DELETE")))
    }

    /// Deletes up to 1,000 keys in one request (DeleteObjects); throws the first key the store
    /// refused to delete.
    public func deleteObjects(_ keys: [String]) async throws {
        for batch in stride(from: 0, to: keys.count, by: 1000).map({ keys[$0..<min($0 + 1000, keys.count)] }) {
            let objects = batch.map { "<Object><Key>\(xmlEscaped(settings.prefix + $0))</Key></Object>" }.joined()
            let body = ByteBuffer(string: "<Delete><Quiet>true</Quiet>\(objects)</Delete>")
            let md5 = Data(body.withUnsafeReadableBytes { Insecure.MD5.hash(data: $0) }).base64EncodedString()
            let response = try await send(
                .init(method: .POST, query: [("delete", "")], headers: [("content-md5", md5)], body: body, operation: "DeleteObjects"))
            let answer = S3XML(try await collect(response))
            if let failure = answer.elements("Error").first {
                throw S3Error(
                    kind: .refused, code: failure.text("Code") ?? "Error", message: failure.text("Key") ?? "",
                    operation: "DeleteObjects")
            }
        }
    }

    /// One page of the keys under `prefix`, in key order (ListObjectsV2).
    public func listObjects(prefix: String = "", continuation: String? = nil, maxKeys: Int = 1000) async throws -> S3ListPage {
        var query = [("list-type", "2"), ("prefix", settings.prefix + prefix), ("max-keys", String(maxKeys))]
        if let continuation { query.append(("continuation-token", continuation)) }
        let answer = S3XML(try await collect(try await send(.init(method: .GET, query: query, operation: "ListObjectsV2"))))
        let objects = try answer.elements("Contents").map { item in
            guard let key = item.text("Key"), let size = item.text("Size").flatMap({ UInt64($0) }) else {
                throw S3Error(kind: .malformedAnswer, code: "BadListing", message: "an entry without Key or Size", operation: "ListObjectsV2")
            }
            return S3ObjectInfo(key: String(key.dropFirst(settings.prefix.count)), size: size, etag: item.text("ETag") ?? "", metadata: [:])
        }
        let truncated = answer.text("IsTruncated") == "true"
        return S3ListPage(objects: objects, continuation: truncated ? answer.text("NextContinuationToken") : nil)
    }

    /// Every key under `prefix`, page after page.
    public func allObjects(prefix: String = "") async throws -> [S3ObjectInfo] {
        var objects = [S3ObjectInfo]()
        var continuation: String?
        repeat {
            let page = try await listObjects(prefix: prefix, continuation: continuation)
            objects += page.objects
            continuation = page.continuation
        } while continuation != nil
        return objects
    }

    // MARK: Multipart uploads

    /// Starts a multipart upload of `key`; returns its upload ID.
    public func createMultipartUpload(_ key: String, metadata: [String: String] = [:]) async throws -> String {
        let headers = metadata.map { ("x-amz-meta-\($0.key)", $0.value) }
        let response = try await send(
            .init(method: .POST, key: key, query: [("uploads", "")], headers: headers, body: ByteBuffer(), operation: "CreateMultipartUpload"))
        guard let id = S3XML(try await collect(response)).text("UploadId") else {
            throw S3Error(kind: .malformedAnswer, code: "NoUploadId", message: "", operation: "CreateMultipartUpload \(key)")
        }
        return id
    }

    /// Uploads part `number` (1...10,000); returns its ETag, which completing the upload needs.
    public func uploadPart(_ key: String, uploadID: String, number: Int, body: ByteBuffer) async throws -> String {
        let query = [("partNumber", String(number)), ("uploadId", uploadID)]
        let response = try await send(.init(method: .PUT, key: key, query: query, body: body, operation: "UploadPart", signsPayload: false))
        try await drain(response)
        guard let etag = response.headers.first(name: "etag") else {
            throw S3Error(kind: .malformedAnswer, code: "NoETag", message: "", operation: "UploadPart \(key)")
        }
        return etag
    }

    /// Joins the parts, in order, into the object; returns its ETag.
    @discardableResult
    public func completeMultipartUpload(_ key: String, uploadID: String, parts: [S3Part]) async throws -> String {
        let items = parts.map { "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(xmlEscaped($0.etag))</ETag></Part>" }
        let body = ByteBuffer(string: "<CompleteMultipartUpload>\(items.joined())</CompleteMultipartUpload>")
        let request = S3Request(method: .POST, key: key, query: [("uploadId", uploadID)], body: body, operation: "CompleteMultipartUpload")
        // S3 may answer 200 and then report a failure in the body, so the body is read before retrying.
        for attempt in 1...settings.attempts {
            let answer = S3XML(try await collect(try await send(request)))
            guard let failure = answer.elements("Error").first else { return answer.text("ETag") ?? "" }
            let code = failure.text("Code") ?? "Error"
            let error = S3Error(kind: code == "InternalError" || code == "SlowDown" ? .unavailable : .refused,
                                code: code, message: failure.text("Message") ?? "", status: 200, operation: "CompleteMultipartUpload \(key)")
            guard error.kind == .unavailable, attempt < settings.attempts else { throw error }
            try await Self.backoff(attempt)
        }
        preconditionFailure("the loop returns or throws")
    }

    /// Abandons the upload and frees its parts; an upload already gone succeeds.
    public func abortMultipartUpload(_ key: String, uploadID: String) async throws {
        do {
            try await drain(try await send(.init(method: .DELETE, key: key, query: [("uploadId", uploadID)], operation: "AbortMultipartUpload")))
        } catch let error as S3Error where error.kind == .notFound {}
    }

    /// Every multipart upload started under `prefix` and neither completed nor aborted.
    public func multipartUploads(prefix: String = "") async throws -> [S3MultipartUpload] {
        var uploads = [S3MultipartUpload]()
        var markers: (key: String, id: String)?
        repeat {
            var query = [("uploads", ""), ("prefix", settings.prefix + prefix)]
            if let markers { query += [("key-marker", markers.key), ("upload-id-marker", markers.id)] }
            let answer = S3XML(try await collect(try await send(.init(method: .GET, query: query, operation: "ListMultipartUploads"))))
            for item in answer.elements("Upload") {
                guard let key = item.text("Key"), let id = item.text("UploadId") else { continue }
                uploads.append(S3MultipartUpload(key: String(key.dropFirst(settings.prefix.count)), uploadID: id, initiated: item.text("Initiated") ?? ""))
            }
            markers = nil
            if answer.text("IsTruncated") == "true", let key = answer.text("NextKeyMarker"), let id = answer.text("NextUploadIdMarker") {
                markers = (key, id)
            }
        } while markers != nil
        return uploads
    }

    // MARK: Presigned URLs

    /// A URL any client may GET for `expires` seconds, without credentials of its own.
    public func presignedGetURL(_ key: String, expires: Int, now: SigV4Date = .now()) -> String {
        let path = objectPath(key)
        let query = signer.presignedQuery(
            method: "GET", encodedPath: path, host: settings.endpoint.hostHeader, expires: expires, date: now)
        return "\(settings.endpoint)\(path)?\(SigV4Signer.canonicalQuery(query))"
    }

    // MARK: Requests

    private func objectPath(_ key: String?) -> String {
        let bucket = "/" + S3Encoding.encode(settings.bucket, keepSlash: false)
        guard let key else { return bucket }
        return bucket + "/" + S3Encoding.encode(settings.prefix + key, keepSlash: true)
    }

    /// Sends the request, retrying what may pass; returns a 2xx answer (its body not yet read), or
    /// throws the store's error.
    private func send(_ request: S3Request) async throws -> HTTPClientResponse {
        let operation = request.key.map { "\(request.operation) \($0)" } ?? request.operation
        for attempt in 1...settings.attempts {
            do {
                let response = try await http.execute(try signed(request), deadline: deadline(request))
                let status = Int(response.status.code)
                observer?(request.operation, status < 300 ? "ok" : status < 500 ? "client_error" : "server_error")
                if (200..<300).contains(status) { return response }
                let error = S3Error.answer(status: status, body: try await collect(response), operation: operation)
                guard error.kind == .unavailable, attempt < settings.attempts else { throw error }
            } catch let error as S3Error {
                throw error
            } catch let error as CancellationError {
                throw error
            } catch {
                observer?(request.operation, "no_answer")
                guard attempt < settings.attempts else {
                    throw S3Error(kind: .unavailable, code: "NoAnswer", message: String(describing: error), operation: operation)
                }
            }
            try await Self.backoff(attempt)
        }
        preconditionFailure("the loop returns or throws")
    }

    private func signed(_ request: S3Request) throws -> HTTPClientRequest {
        let path = objectPath(request.key)
        let query = SigV4Signer.canonicalQuery(request.query)
        let payloadHash =
            if let body = request.body {
                request.signsPayload ? Hex.encode(body.withUnsafeReadableBytes { SHA256.hash(data: $0) }) : "UNSIGNED-PAYLOAD"
            } else {
                Self.emptyHash
            }
        let date = SigV4Date.now()
        var headers = request.headers
        headers += [("host", settings.endpoint.hostHeader), ("x-amz-date", date.timestamp), ("x-amz-content-sha256", payloadHash)]
        let authorization = signer.authorization(
            method: request.method.rawValue, encodedPath: path, query: request.query, headers: headers,
            payloadHash: payloadHash, date: date)
        var out = HTTPClientRequest(url: "\(settings.endpoint)\(path)\(query.isEmpty ? "" : "?" + query)")
        out.method = request.method
        for (name, value) in headers { out.headers.add(name: name, value: value) }
        out.headers.add(name: "authorization", value: authorization)
        if let body = request.body { out.body = .bytes(body) }
        return out
    }

    /// Time for the request: the base timeout, plus its bytes at the slowest rate accepted.
    private func deadline(_ request: S3Request) -> NIODeadline {
        let bytes = (request.body?.readableBytes ?? 0) + (request.expectedBytes ?? 0)
        let seconds = settings.requestTimeout.components.seconds + Int64(bytes / max(1, settings.minimumBytesPerSecond))
        // A GET of unknown length is bounded by the read timeout between bytes instead.
        let open = request.method == .GET && request.key != nil && request.expectedBytes == nil
        return .now() + .seconds(open ? 86_400 : seconds)
    }

    private static func backoff(_ attempt: Int) async throws {
        let ceiling = min(2_000, 50 << min(attempt, 6))
        try await Task.sleep(for: .milliseconds(Int.random(in: (ceiling / 2)...ceiling)))
    }

    private func collect(_ response: HTTPClientResponse) async throws -> [UInt8] {
        var buffer = try await response.body.collect(upTo: 16 << 20)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    private func drain(_ response: HTTPClientResponse) async throws {
        for try await _ in response.body {}
    }

    private static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
}

private struct S3Request: Sendable {
    var method: HTTPMethod
    var key: String?
    var query: [(String, String)] = []
    var headers: [(String, String)] = []
    var body: ByteBuffer?
    var operation: String
    /// The bytes a ranged GET expects, so that its deadline allows for them.
    var expectedBytes: Int?
    /// Whether the body's SHA-256 is signed. Blob bytes are not: the registry has hashed them
    /// once already and keeps its own block checksums, checked on every read; a second SHA-256
    /// pass cost as much CPU as the store's own work on this machine.
    var signsPayload = true
}
