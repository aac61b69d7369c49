import BlobStore
import CZstd
import Foundation
import TestSupport
import Testing

@Suite("Codec: stored encoding, stream decoders and layer diff_ids")
struct CodecTests {
    // MARK: StoredEncoding

    @Test func compressibleJSONIsStoredAsAZstdFrameAndDecodesByteExact() throws {
        let payload = Self.jsonLike(bytes: 256 * 1024, seed: 1)
        let (codec, stored) = try payload.withUnsafeBytes { try StoredEncoding.encode($0) }
        let frame = try #require(stored)
        #expect(codec == .zstd)
        #expect(frame.count * 10 <= payload.count * 9)
        // The frame declares its content size and carries no checksum (bit 2 of the descriptor).
        #expect(frame.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) } == UInt64(payload.count))
        #expect(frame[4] & 0x04 == 0)
        let decoded = try frame.withUnsafeBytes { try StoredEncoding.decode($0, codec: .zstd, logicalSize: payload.count) }
        #expect(decoded == payload)
    }

    @Test func randomBytesAreStoredVerbatim() throws {
        var random = SeededGenerator(seed: 2)
        let payload = random.bytes(64 * 1024)
        let (codec, stored) = try payload.withUnsafeBytes { try StoredEncoding.encode($0) }
        #expect(codec == .verbatim)
        #expect(stored == nil)
        let decoded = try payload.withUnsafeBytes { try StoredEncoding.decode($0, codec: .verbatim, logicalSize: payload.count) }
        #expect(decoded == payload)
    }

    @Test(arguments: [[], [0x7b], Array("{}\n".utf8)])
    func payloadsTooShortToGainAreStoredVerbatim(payload: [UInt8]) throws {
        let (codec, stored) = try payload.withUnsafeBytes { try StoredEncoding.encode($0) }
        #expect(codec == .verbatim)
        #expect(stored == nil)
    }

    /// gzip's magic, zstd's, and the first and last skippable-frame magics.
    @Test(arguments: [[0x1f, 0x8b], [0x28, 0xb5, 0x2f, 0xfd], [0x50, 0x2a, 0x4d, 0x18], [0x5f, 0x2a, 0x4d, 0x18]] as [[UInt8]])
    func compressedFormatsAreStoredVerbatimEvenIfTheyWouldShrink(magic: [UInt8]) throws {
        let body = Self.jsonLike(bytes: 64 * 1024, seed: 3)
        let (bodyCodec, _) = try body.withUnsafeBytes { try StoredEncoding.encode($0) }
        #expect(bodyCodec == .zstd)
        let payload = magic + body
        let (codec, stored) = try payload.withUnsafeBytes { try StoredEncoding.encode($0) }
        #expect(codec == .verbatim)
        #expect(stored == nil)
    }

    @Test(arguments: ["gzip", "zstd"])
    func realCompressedFilesAreStoredVerbatim(tool: String) throws {
        let file = try Self.compress(Self.jsonLike(bytes: 64 * 1024, seed: 4), with: tool)
        let (codec, stored) = try file.withUnsafeBytes { try StoredEncoding.encode($0) }
        #expect(codec == .verbatim)
        #expect(stored == nil)
    }

    /// A flip in the magic, the descriptor's reserved bit or the content size is always an error.
    /// Elsewhere in the body it need not be: the frame has no checksum, so zstd may decode a flipped
    /// literal to wrong bytes of the right length. The record's block XXH3s (docs/FORMAT.md) are
    /// what catch that, before any payload byte reaches `decode`.
    @Test func aFlippedBitInTheFrameHeaderIsAnErrorNotWrongBytes() throws {
        let payload = Self.jsonLike(bytes: 16 * 1024, seed: 5)
        let frame = try #require(try payload.withUnsafeBytes { try StoredEncoding.encode($0) }.stored)
        // The content size field ends the frame header; its width and place follow from the
        // descriptor (RFC 8878, 3.1.1.1): window byte unless single-segment, dictionary ID, size.
        let descriptor = frame[4]
        let singleSegment = descriptor & 0x20 != 0
        let sizeField = [singleSegment ? 1 : 0, 2, 4, 8][Int(descriptor >> 6)]
        let sizeStart = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][Int(descriptor & 0x03)]
        #expect(sizeField > 0)
        let flips = (Array(0..<4) + Array(sizeStart..<(sizeStart + sizeField))).flatMap { position in
            (0..<8).map { (position, UInt8(1) << $0) }
        }
        for (position, mask) in flips + [(4, 0x08)] { // bit 3 of the descriptor is reserved
            var corrupt = frame
            corrupt[position] ^= mask
            #expect(throws: CodecError.self, "byte \(position) mask \(mask)") {
                try corrupt.withUnsafeBytes { try StoredEncoding.decode($0, codec: .zstd, logicalSize: payload.count) }
            }
        }
    }

    @Test func aFlipAnywhereGivesAnErrorOrExactlyTheLogicalSize() throws {
        let payload = Self.jsonLike(bytes: 8 * 1024, seed: 6)
        let frame = try #require(try payload.withUnsafeBytes { try StoredEncoding.encode($0) }.stored)
        for position in frame.indices {
            var corrupt = frame
            corrupt[position] ^= 0x10
            if let decoded = try? corrupt.withUnsafeBytes({ try StoredEncoding.decode($0, codec: .zstd, logicalSize: payload.count) }) {
                #expect(decoded.count == payload.count, "byte \(position)")
            }
        }
    }

    @Test func aWrongLogicalSizeIsASizeMismatch() throws {
        let payload = Self.jsonLike(bytes: 16 * 1024, seed: 7)
        let frame = try #require(try payload.withUnsafeBytes { try StoredEncoding.encode($0) }.stored)
        for logicalSize in [payload.count - 1, payload.count + 1] {
            #expect(throws: CodecError.sizeMismatch(expected: logicalSize, actual: payload.count)) {
                try frame.withUnsafeBytes { try StoredEncoding.decode($0, codec: .zstd, logicalSize: logicalSize) }
            }
            #expect(throws: CodecError.sizeMismatch(expected: logicalSize, actual: payload.count)) {
                try payload.withUnsafeBytes { try StoredEncoding.decode($0, codec: .verbatim, logicalSize: logicalSize) }
            }
        }
    }

    @Test func trailingBytesAfterTheFrameAreAnError() throws {
        let payload = Self.jsonLike(bytes: 16 * 1024, seed: 8)
        let frame = try #require(try payload.withUnsafeBytes { try StoredEncoding.encode($0) }.stored)
        #expect(throws: CodecError.self) {
            try (frame + [0, 0, 0, 0, 0]).withUnsafeBytes { try StoredEncoding.decode($0, codec: .zstd, logicalSize: payload.count) }
        }
    }

    // MARK: CompressionFormat

    @Test(arguments: [
        ([], CompressionFormat.none),
        ([0x1f], .none),
        ([0x1f, 0x8b], .gzip),
        ([0x1f, 0x8b, 0x08, 0x00, 0x00], .gzip),
        ([0x8b, 0x1f, 0x08, 0x00], .none),
        ([0x28, 0xb5, 0x2f], .none),
        ([0x28, 0xb5, 0x2f, 0xfd], .zstd),
        ([0xfd, 0x2f, 0xb5, 0x28], .none),
        ([0x50, 0x2a, 0x4d, 0x18], .zstd),
        ([0x5f, 0x2a, 0x4d, 0x18, 0x00], .zstd),
        ([0x60, 0x2a, 0x4d, 0x18], .none),
        (Array("{\"schemaVersion\":2}".utf8), .none),
    ] as [([UInt8], CompressionFormat)])
    func detectsFormatsByMagic(prefix: [UInt8], format: CompressionFormat) {
        #expect(prefix.withUnsafeBytes { CompressionFormat.detect($0) } == format)
    }

    // MARK: LayerDigester

    /// A stored layer and the uncompressed stream whose digest is its diff_id.
    struct LayerCase: CustomTestStringConvertible, Sendable {
        let name: String
        let stored: [UInt8]
        let uncompressed: [UInt8]
        var testDescription: String { name }
    }

    static func layerCases() throws -> [LayerCase] {
        let first = layerLike(seed: 10)
        let second = layerLike(seed: 11)
        let gzipFirst = try compress(first, with: "gzip")
        let zstdFirst = try compress(first, with: "zstd")
        // A skippable frame, as the seekable format writes: magic, little-endian length, content.
        let skippable: [UInt8] = [0x5e, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 0xaa, 0xbb, 0xcc]
        return [
            LayerCase(name: "plain tar", stored: first, uncompressed: first),
            LayerCase(name: "plain, 3 bytes", stored: [1, 2, 3], uncompressed: [1, 2, 3]),
            LayerCase(name: "empty", stored: [], uncompressed: []),
            LayerCase(name: "gzip", stored: gzipFirst, uncompressed: first),
            LayerCase(name: "gzip of nothing", stored: try compress([], with: "gzip"), uncompressed: []),
            LayerCase(name: "gzip, 2 members", stored: gzipFirst + (try compress(second, with: "gzip")), uncompressed: first + second),
            LayerCase(name: "zstd", stored: zstdFirst, uncompressed: first),
            LayerCase(
                name: "zstd, 3 frames and a skippable one",
                stored: zstdFirst + skippable + (try compress(second, with: "zstd")) + (try compress([], with: "zstd")),
                uncompressed: first + second
            ),
            LayerCase(name: "zstd, opening with a skippable frame", stored: skippable + zstdFirst, uncompressed: first),
        ]
    }

    @Test(arguments: try layerCases())
    func diffIDIsTheDigestOfTheUncompressedStreamInAnyChunking(layer: LayerCase) throws {
        let expected = (Digest.of(layer.uncompressed), UInt64(layer.uncompressed.count))
        var random = SeededGenerator(seed: UInt64(layer.stored.count))
        for maximum in [4, 100, 5000, 200_000] {
            let chunks = random.chunking(of: layer.stored.count, maximum: maximum)
            let result = try Self.digest(layer.stored, chunks: chunks)
            #expect(result == expected, "chunks up to \(maximum)")
        }
    }

    @Test(arguments: try layerCases())
    func diffIDFedOneByteAtATime(layer: LayerCase) throws {
        let result = try Self.digest(layer.stored, chunks: Array(repeating: 1, count: layer.stored.count))
        #expect(result == (Digest.of(layer.uncompressed), UInt64(layer.uncompressed.count)))
    }

    @Test(arguments: ["gzip", "zstd"])
    func truncatedStreamsThrow(tool: String) throws {
        let format: CompressionFormat = tool == "gzip" ? .gzip : .zstd
        let file = try Self.compress(Self.layerLike(seed: 12), with: tool)
        for length in [4, 10, file.count / 2, file.count - 1] {
            let truncated = Array(file.prefix(length))
            #expect(throws: CodecError.truncated(format), "cut at \(length) of \(file.count)") {
                try Self.digest(truncated, chunks: [truncated.count])
            }
        }
    }

    @Test func aSecondGzipMemberCutShortIsTruncated() throws {
        let member = try Self.compress(Array("hello\n".utf8), with: "gzip")
        #expect(throws: CodecError.truncated(.gzip)) {
            try Self.digest(member + member.prefix(5), chunks: [member.count + 5])
        }
    }

    @Test func corruptGzipCarriesZlibsMessage() throws {
        var file = try Self.compress(Self.layerLike(seed: 13), with: "gzip")
        file[2] = 7 // compression method: only 8 (deflate) exists
        #expect(throws: CodecError.corruptGzip("unknown compression method")) {
            try Self.digest(file, chunks: [file.count])
        }
    }

    @Test func garbageAfterAGzipMemberIsCorruption() throws {
        let file = try Self.compress(Array("hello\n".utf8), with: "gzip") + Array("trailing".utf8)
        #expect(throws: CodecError.corruptGzip("incorrect header check")) {
            try Self.digest(file, chunks: [file.count])
        }
    }

    @Test func corruptZstdCarriesZstdsErrorName() throws {
        var file = try Self.compress(Self.layerLike(seed: 14), with: "zstd")
        file[4] |= 0x08 // frame header descriptor: the reserved bit must be zero
        let error = try #require(throws: CodecError.self) { try Self.digest(file, chunks: [file.count]) }
        guard case .corruptZstd(let message) = error else {
            Issue.record("expected corruptZstd, got \(error)")
            return
        }
        #expect(!message.isEmpty)
    }

    // MARK: StreamDecoder

    @Test(arguments: ["gzip", "zstd"])
    func decodersGiveBackTheOriginalBytes(tool: String) throws {
        let first = Self.layerLike(seed: 15)
        let second = Self.jsonLike(bytes: 10_000, seed: 16)
        let file = try Self.compress(first, with: tool) + (try Self.compress(second, with: tool))
        var decoder = file.withUnsafeBytes { CompressionFormat.detect($0) }.makeDecoder()
        var output: [UInt8] = []
        try file.withUnsafeBytes { try decoder.decode($0) { output.append(contentsOf: $0) } }
        try decoder.finish()
        #expect(output == first + second)
    }

    @Test func sinkErrorsReachTheCaller() throws {
        struct Stop: Error {}
        let file = try Self.compress(Self.layerLike(seed: 17), with: "zstd")
        var decoder = CompressionFormat.zstd.makeDecoder()
        #expect(throws: Stop.self) {
            try file.withUnsafeBytes { try decoder.decode($0) { _ in throw Stop() } }
        }
    }

    // MARK: Helpers

    static func digest(_ stored: [UInt8], chunks: [Int]) throws -> (Digest, UInt64) {
        var digester = LayerDigester()
        var offset = 0
        for length in chunks {
            try stored[offset..<(offset + length)].withUnsafeBytes { try digester.update($0) }
            offset += length
        }
        let result = try digester.finish()
        return (result.diffID, result.size)
    }

    /// Text like a manifest or config list: repetitive keys, varying values; compresses several-fold.
    static func jsonLike(bytes: Int, seed: UInt64) -> [UInt8] {
        var random = SeededGenerator(seed: seed)
        var text = "[\n"
        while text.utf8.count < bytes {
            let hex = random.bytes(8).map { String($0, radix: 16) }.joined()
            text += "  {\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\", \"digest\": \"sha256:\(hex)\", \"size\": \(random.next() % 100_000_000)},\n"
        }
        return Array(text.utf8.prefix(bytes))
    }

    /// A stand-in for a tar layer: text, incompressible runs (stored deflate blocks, raw zstd
    /// blocks) and a long run of zeros (far more output per input chunk than one output buffer).
    static func layerLike(seed: UInt64) -> [UInt8] {
        var random = SeededGenerator(seed: seed)
        var layer: [UInt8] = []
        for part in 0..<8 {
            layer += jsonLike(bytes: 6000 + part * 100, seed: seed &+ UInt64(part))
            layer += random.bytes(3000)
        }
        layer += [UInt8](repeating: 0, count: 512 * 1024)
        layer += random.bytes(100)
        return layer
    }

    /// `input` compressed by the real command-line tool (`gzip` or `zstd`), as a client would push it.
    static func compress(_ input: [UInt8], with tool: String) throws -> [UInt8] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("codec-\(UUID().uuidString)")
        try Data(input).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = Pipe()
        let process = try Spawned(URL(fileURLWithPath: "/usr/bin/env"), [tool, "-c", "-q", file.path], output: .pipe(output))
        let compressed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(tool) exited with \(process.terminationStatus)")
        return Array(compressed)
    }
}
