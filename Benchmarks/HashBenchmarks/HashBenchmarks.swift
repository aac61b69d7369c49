import Benchmark
import BlobStore
import Crypto

/// Each iteration hashes 1 MiB in updates of the named size, so the throughput metric
/// (iterations per second) reads directly as MiB/s. swift-crypto's SHA256 (BoringSSL, with its
/// own SHA-NI and AVX2 assembly) runs in the same process as the in-run anchor.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )

    let mebibyte = 1 << 20
    let input: [UInt8] = (0..<mebibyte).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
    let updateSizes: [(name: String, bytes: Int)] = [("64 B", 64), ("4 KiB", 4096), ("64 KiB", 65536), ("1 MiB", mebibyte)]

    for (name, size) in updateSizes {
        for implementation in SHA256Implementation.available {
            Benchmark("SHA-256 \(implementation) \(name) updates (ops/s = MiB/s)") { benchmark in
                for _ in benchmark.scaledIterations {
                    var hasher = SHA256Hasher(implementation: implementation)
                    input.withUnsafeBytes { raw in
                        for offset in stride(from: 0, to: mebibyte, by: size) {
                            hasher.update(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + size)]))
                        }
                    }
                    blackHole(hasher.finalize())
                }
            }
        }
        Benchmark("SHA-256 swift-crypto \(name) updates (ops/s = MiB/s)") { benchmark in
            for _ in benchmark.scaledIterations {
                var hasher = Crypto.SHA256()
                input.withUnsafeBytes { raw in
                    for offset in stride(from: 0, to: mebibyte, by: size) {
                        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + size)]))
                    }
                }
                blackHole(hasher.finalize())
            }
        }
    }

    Benchmark("SHA-512 portable 64 KiB updates (ops/s = MiB/s)") { benchmark in
        for _ in benchmark.scaledIterations {
            var hasher = SHA512Hasher()
            input.withUnsafeBytes { raw in
                for offset in stride(from: 0, to: mebibyte, by: 65536) {
                    hasher.update(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 65536)]))
                }
            }
            blackHole(hasher.finalize())
        }
    }
}
