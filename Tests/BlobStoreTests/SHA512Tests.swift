import BlobStore
import Crypto
import TestSupport
import Testing

@Suite("SHA-512")
struct SHA512Tests {
    static let vectors: [(input: [UInt8], digest: String)] = [
        ([], "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"),
        (Array("abc".utf8),
         "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
        (Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8),
         "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"),
        ([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
         "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"),
    ]

    @Test func fipsVectors() throws {
        for vector in Self.vectors {
            var hasher = SHA512Hasher()
            hasher.update(vector.input)
            #expect(hasher.finalize() == (try Digest(parsing: "sha512:" + vector.digest)), "length \(vector.input.count)")
        }
    }

    @Test func randomInputsInRandomChunkingsMatchSwiftCrypto() {
        var random = SeededGenerator(seed: 512)
        for round in 0..<500 {
            let input = random.bytes(Int.random(in: 0...10_000, using: &random))
            let chunks = random.chunking(of: input.count, maximum: Int.random(in: 1...400, using: &random))
            var hasher = DigestHasher(algorithm: .sha512)
            hasher.update(input, chunks: chunks)
            let expected = Digest(algorithm: .sha512, bytes: Array(Crypto.SHA512.hash(data: input)))
            #expect(hasher.finalize() == expected, "round \(round), length \(input.count)")
        }
    }

    @Test func exportAndRestoreThroughTheAlgorithmErasedHasher() throws {
        var random = SeededGenerator(seed: 99)
        let input = random.bytes(300_000)
        var hasher = DigestHasher(algorithm: .sha512)
        var offset = 0
        for length in random.chunking(of: input.count, maximum: 5000) {
            hasher.update(input[offset..<(offset + length)])
            offset += length
            hasher = try DigestHasher(algorithm: .sha512, restoring: hasher.exportState())
        }
        #expect(hasher.algorithm == .sha512)
        #expect(hasher.finalize() == Digest(algorithm: .sha512, bytes: Array(Crypto.SHA512.hash(data: input))))
    }
}
