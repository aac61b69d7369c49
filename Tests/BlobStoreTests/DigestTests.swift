import BlobStore
import Testing

@Suite("Digest parsing")
struct DigestTests {
    static let emptySHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let emptySHA512 =
        "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"

    @Test func parsesBothAlgorithmsAndRoundTrips() throws {
        let sha256 = try Digest(parsing: Self.emptySHA256)
        #expect(sha256.algorithm == .sha256)
        #expect(sha256.description == Self.emptySHA256)
        #expect(sha256.bytes.count == 32)
        #expect(sha256.bytes.prefix(2) == [0xe3, 0xb0])
        let sha512 = try Digest(parsing: Self.emptySHA512)
        #expect(sha512.algorithm == .sha512)
        #expect(sha512.description == Self.emptySHA512)
        #expect(sha512.hex.count == 128)
    }

    @Test func parsedDigestEqualsComputedDigest() throws {
        #expect(try Digest(parsing: Self.emptySHA256) == Digest.of([UInt8]()))
        #expect(try Digest(parsing: Self.emptySHA512) == Digest.of([UInt8](), algorithm: .sha512))
    }

    @Test(arguments: [
        ("", DigestError.empty),
        ("sha256", .missingSeparator),
        ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", .missingSeparator),
        (":e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", .emptyAlgorithm),
        ("SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", .uppercaseAlgorithm("SHA256")),
        ("md5:d41d8cd98f00b204e9800998ecf8427e", .unsupportedAlgorithm("md5")),
        ("sha384:abc", .unsupportedAlgorithm("sha384")),
        ("sha256:", .wrongLength(algorithm: .sha256, expected: 64, actual: 0)),
        ("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", .wrongLength(algorithm: .sha256, expected: 64, actual: 63)),
        ("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550", .wrongLength(algorithm: .sha256, expected: 64, actual: 65)),
        ("sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", .wrongLength(algorithm: .sha512, expected: 128, actual: 64)),
        ("sha256:E3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", .uppercaseHex(offset: 0)),
        ("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85F", .uppercaseHex(offset: 63)),
        ("sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", .invalidCharacter(offset: 0)),
        ("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8:5", .invalidCharacter(offset: 62)),
        ("sha256: 3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", .invalidCharacter(offset: 0)),
    ])
    func rejectsEachMalformedForm(input: String, expected: DigestError) {
        #expect(throws: expected) { try Digest(parsing: input) }
    }

    @Test func errorsSayWhichRuleWasBroken() {
        #expect(DigestError.uppercaseHex(offset: 3).description.contains("lowercase"))
        #expect(DigestError.unsupportedAlgorithm("md5").description.contains("md5"))
        #expect(DigestError.wrongLength(algorithm: .sha256, expected: 64, actual: 63).description.contains("64"))
    }

    @Test func ordersByAlgorithmThenBytes() throws {
        let low = try Digest(parsing: "sha256:" + String(repeating: "0", count: 64))
        let high = try Digest(parsing: "sha256:" + String(repeating: "0", count: 63) + "1")
        let longer = try Digest(parsing: "sha512:" + String(repeating: "0", count: 128))
        #expect(low < high)
        #expect(high < longer)
        #expect([high, longer, low].sorted() == [low, high, longer])
    }
}
