@testable import ObjectStore
import Testing

/// The signer against the worked examples AWS publishes in "Authenticating Requests: Using the
/// Authorization Header" and "… Using Query Parameters" (Amazon S3 API Reference): the example
/// credentials, 2013-05-24T00:00:00Z, bucket `examplebucket`, virtual-hosted style.
@Suite("SigV4 signer")
struct SigV4SignerTests {
    let signer = SigV4Signer(
        credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1")
    let date = SigV4Date(secondsSince1970: 1_369_353_600)
    let host = "examplebucket.s3.amazonaws.com"
    let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    @Test func datesAreWrittenInUTC() {
        #expect(date.timestamp == "20130524T000000Z")
        #expect(date.day == "20130524")
        #expect(SigV4Date(secondsSince1970: 1_440_938_160).timestamp == "20150830T123600Z")
        #expect(SigV4Date(secondsSince1970: 951_868_799).timestamp == "20000229T235959Z")
    }

    @Test func getObjectWithRange() {
        let authorization = signer.authorization(
            method: "GET", encodedPath: "/test.txt", query: [],
            headers: [("Host", host), ("Range", "bytes=0-9"), ("x-amz-content-sha256", emptyHash), ("x-amz-date", date.timestamp)],
            payloadHash: emptyHash, date: date)
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func putObjectWithAnEncodedKeyAndASignedBody() {
        let bodyHash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"  // "Welcome to Amazon S3."
        let authorization = signer.authorization(
            method: "PUT", encodedPath: "/" + S3Encoding.encode("test$file.text", keepSlash: true), query: [],
            headers: [
                ("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("Host", host), ("x-amz-content-sha256", bodyHash),
                ("x-amz-date", date.timestamp), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ],
            payloadHash: bodyHash, date: date)
        #expect(authorization.hasSuffix("Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"))
        #expect(authorization.contains("SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"))
    }

    @Test func getBucketLifecycleWithAnEmptyQueryValue() {
        let authorization = signer.authorization(
            method: "GET", encodedPath: "/", query: [("lifecycle", "")],
            headers: [("Host", host), ("x-amz-content-sha256", emptyHash), ("x-amz-date", date.timestamp)],
            payloadHash: emptyHash, date: date)
        #expect(authorization.hasSuffix("Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"))
    }

    @Test func listObjectsWithQueryItemsOutOfOrder() {
        let authorization = signer.authorization(
            method: "GET", encodedPath: "/", query: [("prefix", "J"), ("max-keys", "2")],
            headers: [("Host", host), ("x-amz-content-sha256", emptyHash), ("x-amz-date", date.timestamp)],
            payloadHash: emptyHash, date: date)
        #expect(authorization.hasSuffix("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))
    }

    @Test func presignedGet() {
        let query = signer.presignedQuery(method: "GET", encodedPath: "/test.txt", host: host, expires: 86_400, date: date)
        #expect(query.last?.0 == "X-Amz-Signature")
        #expect(query.last?.1 == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        #expect(
            SigV4Signer.canonicalQuery(query)
                == "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404&X-Amz-SignedHeaders=host")
    }

    /// The suite's `get-vanilla` case: another service and host, the same algorithm.
    @Test func signatureTestSuiteGetVanilla() {
        let suite = SigV4Signer(
            credentials: S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1", service: "service")
        let date = SigV4Date(secondsSince1970: 1_440_938_160)
        let authorization = suite.authorization(
            method: "GET", encodedPath: "/", query: [], headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", date.timestamp)],
            payloadHash: emptyHash, date: date)
        #expect(authorization.hasSuffix("Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"))
    }

    @Test func encodingKeepsOnlyUnreservedBytes() {
        #expect(S3Encoding.encode("a b+c/d~e_f.g-h", keepSlash: true) == "a%20b%2Bc/d~e_f.g-h")
        #expect(S3Encoding.encode("a/b=c&d", keepSlash: false) == "a%2Fb%3Dc%26d")
        #expect(S3Encoding.encode("ключ", keepSlash: false) == "%D0%BA%D0%BB%D1%8E%D1%87")
    }

    @Test func endpointsParseOrSayWhy() throws {
        let plain = try S3Endpoint("http://127.0.0.1:7480")
        #expect(plain.hostHeader == "127.0.0.1:7480" && !plain.secure)
        let secure = try S3Endpoint("https://s3.example.com/")
        #expect(secure.hostHeader == "s3.example.com" && secure.port == 443 && secure.description == "https://s3.example.com")
        for bad in ["127.0.0.1:7480", "http://host/bucket", "http://host:99999", "http://user@host", "ftp://host", "http://"] {
            #expect(throws: S3EndpointError.self) { try S3Endpoint(bad) }
        }
    }

    @Test func xmlAnswersAreRead() {
        let listing = S3XML(Array("""
            <?xml version="1.0"?><ListBucketResult><IsTruncated>true</IsTruncated><KeyCount>2</KeyCount>\
            <Contents><Key>a&amp;b</Key><Size>3</Size></Contents><Contents><Key>c&#x2F;d</Key><Size>4</Size></Contents>\
            <NextContinuationToken>t&lt;1</NextContinuationToken></ListBucketResult>
            """.utf8))
        #expect(listing.elements("Contents").compactMap { $0.text("Key") } == ["a&b", "c/d"])
        #expect(listing.text("Key") == "a&b")
        #expect(listing.text("NextContinuationToken") == "t<1")
        #expect(listing.text("IsTruncated") == "true")
        #expect(listing.text("Missing") == nil)
        #expect(S3XML(Array("<Error><Code>NoSuchKey</Code><Message/></Error>".utf8)).text("Message") == "")
    }
}
