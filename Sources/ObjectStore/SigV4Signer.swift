import Crypto
import Glibc

/// AWS Signature Version 4 for S3 (AWS's "Authenticating Requests (AWS Signature Version 4)"):
/// the `Authorization` header of a request, and the query of a presigned URL. Tested against the
/// worked examples AWS publishes for S3 (`SigV4SignerTests`).
///
/// Paths are signed as they are sent, already encoded (S3 does not encode them a second time);
/// query names and values are encoded here, because their canonical form is sorted by the encoded
/// name.
public struct SigV4Signer: Sendable {
    public let credentials: S3Credentials
    public let region: String
    public let service: String

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The `Authorization` header for a request carrying `headers` (which must include `host`,
    /// `x-amz-date` and, for S3, `x-amz-content-sha256`); every header given is signed.
    public func authorization(
        method: String, encodedPath: String, query: [(String, String)], headers: [(String, String)],
        payloadHash: String, date: SigV4Date
    ) -> String {
        let canonical = CanonicalHeaders(headers)
        let request = [
            method, encodedPath, Self.canonicalQuery(query), canonical.block, canonical.names, payloadHash,
        ].joined(separator: "\n")
        let signature = sign(canonicalRequest: request, date: date)
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(date)), "
            + "SignedHeaders=\(canonical.names), Signature=\(signature)"
    }

    /// The query of a presigned URL (`X-Amz-*` items, the signature last), valid `expires` seconds
    /// from `date`; only `host` is signed, so any client may send the request as it is.
    public func presignedQuery(
        method: String, encodedPath: String, host: String, query: [(String, String)] = [], expires: Int,
        date: SigV4Date
    ) -> [(String, String)] {
        let items =
            query + [
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(date))"),
                ("X-Amz-Date", date.timestamp),
                ("X-Amz-Expires", String(expires)),
                ("X-Amz-SignedHeaders", "host"),
            ]
        let request = [
            method, encodedPath, Self.canonicalQuery(items), "host:\(host)\n", "host", "UNSIGNED-PAYLOAD",
        ].joined(separator: "\n")
        return items + [("X-Amz-Signature", sign(canonicalRequest: request, date: date))]
    }

    /// `name=value` pairs, encoded and sorted: the canonical query string, and a query to send.
    public static func canonicalQuery(_ items: [(String, String)]) -> String {
        items.map { (S3Encoding.encode($0.0, keepSlash: false), S3Encoding.encode($0.1, keepSlash: false)) }
            .sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    private func scope(_ date: SigV4Date) -> String { "\(date.day)/\(region)/\(service)/aws4_request" }

    private func sign(canonicalRequest: String, date: SigV4Date) -> String {
        let stringToSign = [
            "AWS4-HMAC-SHA256", date.timestamp, scope(date), Hex.encode(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [date.day, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        return Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }
}

/// Signed headers in their canonical form: lowercase names sorted, values trimmed with inner runs
/// of spaces collapsed.
private struct CanonicalHeaders {
    let block: String
    let names: String

    init(_ headers: [(String, String)]) {
        let sorted = headers.map { ($0.0.lowercased(), Self.trim($0.1)) }.sorted { $0.0 < $1.0 }
        block = sorted.map { "\($0.0):\($0.1)\n" }.joined()
        names = sorted.map(\.0).joined(separator: ";")
    }

    private static func trim(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}

/// The two forms of a request's time that SigV4 signs: `20130524T000000Z` and `20130524`.
public struct SigV4Date: Sendable, Equatable {
    public let timestamp: String
    public var day: String { String(timestamp.prefix(8)) }

    /// Seconds since 1970, written in UTC.
    public init(secondsSince1970 seconds: Int) {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : String(n) }
        timestamp = "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))"
            + "T\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }

    public static func now() -> SigV4Date {
        SigV4Date(secondsSince1970: time(nil))
    }
}
