import BlobStore

#if canImport(Glibc)
import Glibc
#endif

// The child process of the crash test: commits blobs of mixed sizes from several concurrent
// writers into the store at argv[1] and prints "ack <digest>" for each one the store
// acknowledged, until the test kills it with SIGKILL.

/// One unbuffered write per line, so a line is either out before the kill or not at all.
func emit(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let seed = UInt64(arguments[2]) else {
    emit("usage: CrashWriter DATA-DIR SEED")
    exit(2)
}

var options = BlobStoreOptions()
options.packSizeLimit = 256 << 10
options.soloThreshold = 64 << 10
options.publishAfterClosedPacks = 2
let store = try await BlobStore.open(at: arguments[1], options: options)
emit("ready")

/// xorshift64*: each writer makes its own bytes, so runs differ by seed and never collide.
struct Bytes {
    var state: UInt64

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_f491_4f6c_dd1d
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next() >> 24) }
    }
}

await withThrowingTaskGroup(of: Void.self) { group in
    for writer in 0..<8 {
        group.addTask {
            var random = Bytes(state: seed &* 0x9e37_79b9_7f4a_7c15 &+ UInt64(writer) &+ 1)
            while true {
                let choice = random.next() % 10
                let info: BlobInfo
                if choice < 7 {
                    info = try await store.put(random.bytes(Int(random.next() % 20_000)))
                } else {
                    // A large blob through an upload session, in several requests.
                    let blob = random.bytes(64 << 10 + Int(random.next() % (400 << 10)))
                    let upload = try await store.beginUpload()
                    var offset = 0
                    while offset < blob.count {
                        let end = min(blob.count, offset + 100_000)
                        let chunk = Array(blob[offset..<end])
                        try await store.append(to: upload, at: UInt64(offset)) { try await $0.write(chunk) }
                        offset = end
                    }
                    info = try await store.commitUpload(upload, expected: Digest.of(blob))
                }
                emit("ack \(info.digest)")
            }
        }
    }
    try? await group.waitForAll()
}
