import BlobStore
import Crypto
import TestSupport
import Testing

@Suite("SHA-256 on every implementation this CPU has")
struct SHA256Tests {
    static let implementations = SHA256Implementation.available

    /// FIPS 180-4 / NIST CSRC example vectors.
    static let vectors: [(input: [UInt8], digest: String)] = [
        ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8),
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
         "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ]

    @Test(arguments: implementations)
    func fipsVectors(implementation: SHA256Implementation) throws {
        for vector in Self.vectors {
            var hasher = SHA256Hasher(implementation: implementation)
            hasher.update(vector.input)
            #expect(hasher.finalize() == (try Digest(parsing: "sha256:" + vector.digest)), "length \(vector.input.count)")
        }
    }

    @Test(arguments: implementations)
    func oneMillionAsFedOneByteAtATime(implementation: SHA256Implementation) throws {
        var hasher = SHA256Hasher(implementation: implementation)
        let a: [UInt8] = [UInt8(ascii: "a")]
        for _ in 0..<1_000_000 {
            a.withUnsafeBytes { hasher.update($0) }
        }
        #expect(hasher.finalize() == (try Digest(parsing: "sha256:" + Self.vectors[4].digest)))
        #expect(hasher.byteCount == 1_000_000)
    }

    @Test(arguments: implementations)
    func randomInputsInRandomChunkingsMatchSwiftCrypto(implementation: SHA256Implementation) {
        var random = SeededGenerator(seed: 0x5107_a6e0 ^ UInt64(implementation.rawValue.utf8.count))
        for round in 0..<2000 {
            let input = random.bytes(Int.random(in: 0...10_000, using: &random))
            let chunks = random.chunking(of: input.count, maximum: Int.random(in: 1...300, using: &random))
            var hasher = SHA256Hasher(implementation: implementation)
            hasher.update(input, chunks: chunks)
            let expected = Digest(algorithm: .sha256, bytes: Array(Crypto.SHA256.hash(data: input)))
            #expect(hasher.finalize() == expected, "round \(round), length \(input.count), chunks \(chunks)")
        }
    }

    @Test(arguments: implementations)
    func exportAndRestoreAtEveryChunkBoundary(implementation: SHA256Implementation) throws {
        var random = SeededGenerator(seed: 42)
        let input = random.bytes(1 << 20)
        let chunks = random.chunking(of: input.count, maximum: 9000)
        var hasher = SHA256Hasher(implementation: implementation)
        var offset = 0
        try input.withUnsafeBytes { raw in
            for length in chunks {
                hasher.update(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)]))
                offset += length
                // Every later byte goes through a hasher restored from this boundary's state.
                hasher = try SHA256Hasher(restoring: hasher.exportState(), implementation: implementation)
                #expect(hasher.byteCount == UInt64(offset))
            }
        }
        #expect(hasher.finalize() == Digest(algorithm: .sha256, bytes: Array(Crypto.SHA256.hash(data: input))))
    }

    @Test func stateMovesBetweenImplementations() throws {
        var random = SeededGenerator(seed: 7)
        let input = random.bytes(100_003)
        var first = SHA256Hasher(implementation: .portable)
        first.update(input[..<50_001])
        for implementation in Self.implementations {
            var resumed = try SHA256Hasher(restoring: first.exportState(), implementation: implementation)
            resumed.update(input[50_001...])
            #expect(resumed.finalize() == Digest.of(input), "resumed on \(implementation)")
        }
    }

    @Test func finalizeLeavesTheHasherUsable() {
        var hasher = SHA256Hasher()
        hasher.update(Array("ab".utf8))
        _ = hasher.finalize()
        hasher.update(Array("c".utf8))
        #expect(hasher.finalize() == Digest.of(Array("abc".utf8)))
    }

    @Test func corruptStateIsRefused() throws {
        var hasher = SHA256Hasher()
        hasher.update(Array("some bytes that leave a partial block".utf8))
        let saved = hasher.exportState()

        var flipped = saved
        flipped[20] ^= 0x01
        #expect(throws: HashStateError.checksumMismatch) { try SHA256Hasher(restoring: flipped) }

        var magic = saved
        magic[0] = UInt8(ascii: "X")
        #expect(throws: HashStateError.badMagic) { try SHA256Hasher(restoring: magic) }

        #expect(throws: HashStateError.truncated(expected: saved.count, actual: saved.count - 1)) {
            try SHA256Hasher(restoring: saved.dropLast())
        }
        #expect(throws: HashStateError.wrongAlgorithm(expected: .sha512, found: 1)) { try SHA512Hasher(restoring: saved) }
    }

    @Test func environmentSelectionIsOneOfTheAvailable() throws {
        #expect(Self.implementations.contains(SHA256Implementation.preferred))
        #expect(Self.implementations.last == .portable)
    }
}
