import BlobStore
import Foundation
import HTTPTypes
import ObjectStore
import Hummingbird
import NIOCore
import NIOHTTP1

/// An error as the OCI distribution spec answers it: a status, a code from the spec's table, a
/// message for people and an optional detail. Every error from the layers below is mapped to one
/// of these in `init(mapping:)`, the only place that decides what a client sees.
public struct RegistryError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case blobUnknown = "BLOB_UNKNOWN"
        case blobUploadInvalid = "BLOB_UPLOAD_INVALID"
        case blobUploadUnknown = "BLOB_UPLOAD_UNKNOWN"
        case digestInvalid = "DIGEST_INVALID"
        case manifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
        case manifestInvalid = "MANIFEST_INVALID"
        case manifestUnknown = "MANIFEST_UNKNOWN"
        case nameInvalid = "NAME_INVALID"
        case nameUnknown = "NAME_UNKNOWN"
        case sizeInvalid = "SIZE_INVALID"
        case unauthorized = "UNAUTHORIZED"
        case denied = "DENIED"
        case unsupported = "UNSUPPORTED"
        case tooManyRequests = "TOOMANYREQUESTS"
        /// Not in the spec's table: docker-registry's code for a 503, which clients retry.
        case unavailable = "UNAVAILABLE"
        /// Not in the spec's table: an internal failure, never caused by the request.
        case unknown = "UNKNOWN"
    }

    public var status: HTTPResponse.Status
    public var code: Code
    public var message: String
    public var detail: String?
    /// Extra headers the answer needs, such as `Range` on a 416 for an upload.
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: Code, _ message: String, detail: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code.rawValue): \(message)" }

    /// The one mapping from engine, metadata and parsing errors to what the client is told.
    public init(mapping error: any Error) {
        switch error {
        case let error as RegistryError:
            self = error
        case let error as BlobStoreError:
            self = Self.map(error)
        case let error as DigestError:
            self.init(.badRequest, .digestInvalid, error.description)
        case let error as RepositoryNameError:
            self.init(.badRequest, .nameInvalid, error.description)
        case let error as ManifestError:
            self.init(.badRequest, .manifestInvalid, error.description)
        case let error as PackageError:
            self = Self.map(error)
        case let error as AccountError:
            // The pages' account forms (members, tokens): what the form named is unknown, or invalid.
            switch error {
            case .unknownUser, .unknownOrganisation, .unknownToken, .notAMember: self.init(.notFound, .unsupported, error.description)
            default: self.init(.badRequest, .unsupported, error.description)
            }
        case let error as MetadataError:
            self = Self.map(error)
        case let error as S3Error where error.kind == .unavailable:
            self.init(.serviceUnavailable, .unavailable, "the object store is unavailable; try again later", headers: [.retryAfter: "5"])
        case let error as NIOTooManyBytesError:
            let limit = error.maxBytes.map { " of \($0) bytes" } ?? ""
            self.init(.contentTooLarge, .sizeInvalid, "the request body exceeds the limit\(limit)")
        case let error as HTTPParserError:
            self.init(.badRequest, .unsupported, "malformed HTTP request: \(Self.describe(error))", headers: [.connection: "close"])
        default:
            // The client learns only that it was not its fault; the log has the cause.
            self.init(.internalServerError, .unknown, "internal error")
        }
    }

    /// Whether the request caused this error (a 4xx): such errors are the client's to fix and
    /// are logged as refusals, not as the server's failures.
    public var isClientError: Bool { (400..<500).contains(status.code) }

    /// What NIO's HTTP parser objected to, in words, without its type names.
    private static func describe(_ error: HTTPParserError) -> String {
        switch error {
        case .invalidChunkSize: "invalid chunk size in a chunked body"
        case .invalidContentLength, .unexpectedContentLength: "invalid Content-Length"
        case .invalidEOFState, .closedConnection: "the connection closed in the middle of the request"
        case .headerOverflow: "the request's headers are too large"
        case .invalidHeaderToken, .invalidCharactersUsed: "invalid characters in a header"
        case .invalidURL: "invalid request target"
        case .invalidMethod: "invalid method"
        case .invalidVersion: "invalid HTTP version"
        default: "the request does not follow HTTP/1.1"
        }
    }

    private static func map(_ error: MetadataError) -> RegistryError {
        switch error {
        case .constraint:
            RegistryError(.badRequest, .unsupported, "the request conflicts with the registry's records")
        case _ where error.isBusy:
            RegistryError(.serviceUnavailable, .tooManyRequests, "the metadata database is busy; try again", headers: [.retryAfter: "1"])
        case .unavailable:
            RegistryError(
                .serviceUnavailable, .unavailable, "the metadata database is unavailable; try again later", headers: [.retryAfter: "5"])
        case .io, .database, .conflict, .busy, .schemaTooNew, .schemaTooOld, .corruptValue, .badLocation:
            RegistryError(.internalServerError, .unknown, "internal error")
        }
    }

    private static func map(_ error: BlobStoreError) -> RegistryError {
        switch error {
        case .blobUnknown(let digest):
            RegistryError(.notFound, .blobUnknown, "blob unknown to registry", detail: digest.description)
        case .uploadUnknown(let id):
            RegistryError(.notFound, .blobUploadUnknown, "blob upload unknown to registry", detail: id)
        case .uploadOutOfOrder(_, let expected, _):
            RegistryError(
                .rangeNotSatisfiable, .blobUploadInvalid, error.description,
                headers: [.range: UploadRange.header(offset: expected)])
        case .uploadBusy:
            RegistryError(.conflict, .blobUploadInvalid, error.description)
        case .digestMismatch:
            RegistryError(.badRequest, .digestInvalid, error.description)
        case .tooLarge:
            RegistryError(.contentTooLarge, .sizeInvalid, error.description)
        case .rangeNotSatisfiable:
            RegistryError(.rangeNotSatisfiable, .blobUnknown, error.description)
        case .codec, .integrity, .damaged, .state, .syncFailed, .io, .locked, .closed:
            RegistryError(.internalServerError, .unknown, error.description)
        }
    }

    private static func map(_ error: PackageError) -> RegistryError {
        switch error {
        case .packageUnknown(let name):
            RegistryError(.notFound, .nameUnknown, error.description, detail: name)
        case .versionUnknown(let digest):
            RegistryError(.notFound, .manifestUnknown, error.description, detail: digest)
        case .notDeleted, .packageDeleted, .nameReused, .tagReused:
            RegistryError(.conflict, .denied, error.description)
        case .restoreWindowPassed:
            RegistryError(.gone, .denied, error.description)
        case .invalidPolicy:
            RegistryError(.badRequest, .unsupported, error.description)
        }
    }

    private struct Body: Encodable {
        struct Entry: Encodable {
            let code: String
            let message: String
            let detail: String?
        }

        let errors: [Entry]
    }

    /// The spec's JSON error body. A HEAD answer carries the status and headers only.
    public func response(includeBody: Bool = true) -> Response {
        guard includeBody else {
            var headers = self.headers
            headers[.contentType] = "application/json"
            return Response(status: status, headers: headers)
        }
        let body = Body(errors: [.init(code: code.rawValue, message: message, detail: detail)])
        // Strings and optionals always encode.
        return (try? JSONResponse.make(body, status: status, headers: headers)) ?? Response(status: status, headers: headers)
    }
}
