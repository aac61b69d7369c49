import ArgumentParser
import BlobStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `stowage digest FILE...`: each file's OCI digest, read in a stream through one fixed buffer,
/// so a 10 GB layer costs no more memory than a small one.
struct DigestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Print the OCI digest of each file ('-' for standard input).",
        discussion: "Set STOWAGE_SHA256 to auto, shani, avx2, armv8 or portable to choose the SHA-256 code path."
    )

    @Option(name: .shortAndLong, help: "Digest algorithm: sha256 or sha512.")
    var algorithm: DigestAlgorithm = .sha256

    @Argument(help: "Files to hash; '-' reads standard input.")
    var files: [String] = ["-"]

    func run() throws {
        _ = try SHA256Implementation.fromEnvironment()
        var failed = false
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        for path in files {
            do {
                let digest = try Self.digest(of: path, algorithm: algorithm, buffer: buffer)
                print("\(digest)  \(path)")
            } catch {
                FileHandleStream.standardError.write("stowage digest: \(path): \(error)\n")
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }

    static func digest(of path: String, algorithm: DigestAlgorithm, buffer: UnsafeMutableRawBufferPointer) throws -> Digest {
        let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(errno: errno, operation: "cannot open") }
        defer { if fd != STDIN_FILENO { close(fd) } }
        var hasher = DigestHasher(algorithm: algorithm)
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(errno: errno, operation: "cannot read")
            }
            if count == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        return hasher.finalize()
    }
}

struct ReadError: Error, CustomStringConvertible {
    let errno: Int32
    let operation: String
    var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}

extension DigestAlgorithm: ExpressibleByArgument {}

/// Unbuffered writes to standard error, without Foundation.
enum FileHandleStream {
    case standardError

    func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
