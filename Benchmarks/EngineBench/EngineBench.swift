import BlobStore
import Foundation

/// The engine's figures (BENCHMARKS.md, "BlobStore engine"): large-blob commit and read, bytes
/// written per large blob, durable 4 KiB commits with 1 and 16 writers, and open time for big
/// stores. Run in release: `STOWAGE_BENCHMARKS=1 swift run -c release EngineBench DIR`;
/// Tools/bench-engine.sh runs it beside its anchors (the hasher alone, dd with fdatasync).
@main
struct EngineBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        let root = arguments.count > 1 ? arguments[1] : "./engine-bench-data"
        let openCounts = arguments.count > 2 ? arguments[2].split(separator: ",").compactMap { Int($0) } : [100_000, 1_000_000]
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)

        try await largeBlobs(root + "/large")
        for writers in [1, 16] {
            try await smallCommits(root + "/small-\(writers)", writers: writers, seconds: 5)
        }
        for count in openCounts {
            try await openTime(root + "/open-\(count)", blobs: count)
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    static func now() -> Double { Date().timeIntervalSince1970 }

    static func report(_ name: String, _ value: Double, _ unit: String) {
        print(String(format: "%-52@ %12.1f %@", name as NSString, value, unit as NSString))
    }

    /// write_bytes of /proc/self/io: what this process caused to be written to the block device.
    static func bytesWritten() -> UInt64 {
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("write_bytes:") {
            return UInt64(line.split(separator: " ").last ?? "0") ?? 0
        }
        return 0
    }

    static func randomBlob(_ size: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        return (0..<size / 8).flatMap { _ -> [UInt8] in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return withUnsafeBytes(of: state) { Array($0) }
        }
    }

    static func largeBlobs(_ path: String) async throws {
        let size = 64 << 20
        let count = 8
        let blobs = (0..<count).map { randomBlob(size, seed: UInt64($0) + 1) }
        let store = try await BlobStore.open(at: path)

        var hasher = SHA256Hasher()
        var start = now()
        for blob in blobs { blob.withUnsafeBytes { hasher.update($0) } }
        report("SHA-256 alone (\(SHA256Hasher().implementation)), 64 MiB blobs", Double(count * size) / (now() - start) / 1e6, "MB/s")

        let written = bytesWritten()
        start = now()
        // The registry's closing PUT: the body streams into the session in 1 MiB writes and the
        // commit follows (no checkpoint in between).
        for blob in blobs {
            let upload = try await store.beginUpload()
            _ = try await store.commitUpload(upload, expected: Digest.of(blob)) { appender in
                for offset in stride(from: 0, to: blob.count, by: 1 << 20) {
                    try blob.withUnsafeBytes { try appender.write(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + (1 << 20))])) }
                }
            }
        }
        let elapsed = now() - start
        report("commit 64 MiB blob via upload session (hash+write+fsync)", Double(count * size) / elapsed / 1e6, "MB/s")
        report("bytes written to disk per byte committed", Double(bytesWritten() - written) / Double(count * size), "x")

        start = now()
        for blob in blobs {
            var total = 0
            try await store.read(Digest.of(blob)) { total += $0.count }
        }
        report("read 64 MiB blob, verified (page cache)", Double(count * size) / (now() - start) / 1e6, "MB/s")
        try await store.close()
    }

    static func smallCommits(_ path: String, writers: Int, seconds: Double) async throws {
        let store = try await BlobStore.open(at: path)
        let deadline = now() + seconds
        let start = now()
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var done = 0
                    var blob = randomBlob(4096, seed: UInt64(writer) << 32 | 7)
                    while now() < deadline {
                        // A new blob each time (no dedupe): bump a counter in its first bytes.
                        withUnsafeBytes(of: done) { blob.replaceSubrange(0..<8, with: $0) }
                        try await store.put(blob)
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        report("durable 4 KiB commits, \(writers) writer(s)", Double(total) / (now() - start), "commits/s")
        try await store.close()
    }

    static func openTime(_ path: String, blobs: Int) async throws {
        let filled = try await BlobStore.open(at: path)
        let writers = 32
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for index in stride(from: writer, to: blobs, by: writers) {
                        try await filled.put(withUnsafeBytes(of: UInt64(index)) { Array($0) } + [1, 2, 3, 4, 5, 6, 7, 8])
                    }
                }
            }
            try await group.waitForAll()
        }
        try await filled.close()
        let start = now()
        let store = try await BlobStore.open(at: path)
        let elapsed = now() - start
        precondition(store.allBlobs().count == blobs)
        report("open a store of \(blobs) blobs (warm cache)", elapsed * 1000, "ms")
        try await store.close()
    }
}
