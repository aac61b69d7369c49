import BlobStore
import Foundation

/// The engine's figures (BENCHMARKS.md, "BlobStore engine"): large-blob commit and read, bytes
/// written per large blob, durable 4 KiB commits with 1 and 16 writers, and open time for big
/// stores. Run in release: `STOWAGE_BENCHMARKS=1 swift run -c release EngineBench DIR`;
/// The large-blob commit is measured beside its two anchors in the same run: the hasher alone
/// and `dd bs=1M conv=fdatasync` on the same bytes and disk.
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

    static func report(_ name: String, _ value: Double, _ unit: String, decimals: Int = 1) {
        print(String(format: "%-56@ %12.\(decimals)f %@", name as NSString, value, unit as NSString))
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
        var state = seed << 1 | 1
        return (0..<size / 8).flatMap { _ -> [UInt8] in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return withUnsafeBytes(of: state) { Array($0) }
        }
    }

    static func largeBlobs(_ path: String) async throws {
        let size = 64 << 20
        let count = 8
        let blobs = (0..<count).map { randomBlob(size, seed: UInt64($0) + 1) }
        // The client knows its digests before it pushes: computing them is not the commit's work.
        let digests = blobs.map { Digest.of($0) }
        precondition(Set(digests).count == count, "the benchmark's blobs must differ, or dedupe skips their writes")
        let store = try await BlobStore.open(at: path)

        var hasher = SHA256Hasher()
        var start = now()
        for blob in blobs { blob.withUnsafeBytes { hasher.update($0) } }
        let hashRate = Double(count * size) / (now() - start) / 1e6
        report("SHA-256 alone (\(SHA256Hasher().implementation)), 64 MiB blobs", hashRate, "MB/s")
        let ddRate = try ddRate(blobs, directory: path)
        report("dd bs=1M conv=fdatasync, same bytes, same disk", ddRate, "MB/s")

        let written = bytesWritten()
        start = now()
        // The registry's closing PUT: the body streams into the session in 1 MiB writes and the
        // commit follows (no checkpoint in between).
        for (blob, digest) in zip(blobs, digests) {
            let upload = try await store.beginUpload()
            _ = try await store.commitUpload(upload, expected: digest) { appender in
                for offset in stride(from: 0, to: blob.count, by: 1 << 20) {
                    try await appender.write(blob[offset..<(offset + (1 << 20))])
                }
            }
        }
        let commitRate = Double(count * size) / (now() - start) / 1e6
        report("commit 64 MiB blob via upload session (hash+write+fsync)", commitRate, "MB/s")
        report("  ratio to the slower anchor (target >= 0.8)", commitRate / min(hashRate, ddRate), "x", decimals: 2)
        report("bytes written to disk per byte committed", Double(bytesWritten() - written) / Double(count * size), "x", decimals: 2)

        start = now()
        for digest in digests {
            var total = 0
            try await store.read(digest) { total += $0.count }
        }
        report("read 64 MiB blob just committed, verified", Double(count * size) / (now() - start) / 1e6, "MB/s")
        try await store.close()
    }

    /// The disk's anchor: `dd bs=1M conv=fdatasync` copying each blob from memory (/dev/shm)
    /// into `directory`, timed by dd itself so that starting the process is not counted.
    static func ddRate(_ blobs: [[UInt8]], directory: String) throws -> Double {
        let source = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/stowage-enginebench.src" : directory + "/dd.src"
        let target = directory + "/dd.out"
        defer {
            try? FileManager.default.removeItem(atPath: source)
            try? FileManager.default.removeItem(atPath: target)
        }
        var seconds = 0.0
        for blob in blobs {
            try Data(blob).write(to: URL(fileURLWithPath: source))
            let dd = Process()
            dd.executableURL = URL(fileURLWithPath: "/bin/dd")
            dd.arguments = ["if=\(source)", "of=\(target)", "bs=1M", "conv=fdatasync"]
            dd.environment = ["LC_ALL": "C"]
            let output = Pipe()
            dd.standardError = output
            try dd.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            dd.waitUntilExit()
            // "67108864 bytes (67 MB, 64 MiB) copied, 0.0387 s, 1.7 GB/s"
            guard dd.terminationStatus == 0, let copied = text.range(of: "copied, "),
                  let elapsed = Double(text[copied.upperBound...].prefix { $0 != " " })
            else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "dd failed: \(text)"]) }
            seconds += elapsed
            try FileManager.default.removeItem(atPath: target)
        }
        return Double(blobs.reduce(0) { $0 + $1.count }) / seconds / 1e6
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
