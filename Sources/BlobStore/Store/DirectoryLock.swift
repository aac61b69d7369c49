#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One process per data directory: an exclusive flock on `LOCK`, held while the store is open.
/// The kernel drops it when the process dies, so a crash never leaves a stale lock behind.
final class DirectoryLock: Sendable {
    private let file: SystemFile

    init(path: String) throws {
        let file = try SystemFile.open(path, flags: O_RDWR | O_CREAT)
        guard flock(file.descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = Errno.current
            guard code == EWOULDBLOCK else { throw BlobStoreError.io(operation: "flock", path: path, code: code) }
            let text = (try? file.read(count: Int(file.size()), at: 0)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let holder = text.split(separator: "\n").joined(separator: ", ")
            throw BlobStoreError.locked(path: FileSystem.directory(of: path), holder: holder.isEmpty ? "unknown holder" : holder)
        }
        try file.truncate(to: 0)
        try file.write(Array(Self.describeHolder().utf8), at: 0)
        self.file = file
    }

    /// Releases the lock now rather than when the last reference goes.
    func release() {
        _ = try? file.truncate(to: 0)
        flock(file.descriptor, LOCK_UN)
    }

    static func describeHolder() -> String {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var stamp = [CChar](repeating: 0, count: 32)
        strftime(&stamp, stamp.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        let hostName = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let since = String(decoding: stamp.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "pid \(getpid())\nhost \(hostName)\nsince \(since)\n"
    }
}
