#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who holds a data directory, learned without touching the lock: `LOCK` names its holder while
/// it runs (docs/FORMAT.md, "LOCK"), and that process must still be alive. A read-only check
/// must never take the lock, even for a moment, or a server starting at that instant would fail.
public struct LockHolder: Sendable, Equatable, CustomStringConvertible {
    public let pid: Int32
    /// The lock file's text on one line: `pid 12345, host build-7, since …`.
    public let text: String

    /// The live holder of the directory at `path` other than this process, or nil if none.
    public static func current(dataDirectory path: String) -> LockHolder? {
        let lockPath = DataDirectory(root: path).lock
        guard FileSystem.exists(lockPath), let file = try? SystemFile.openForReading(lockPath),
              let bytes = try? file.read(count: Int(file.size()), at: 0)
        else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard let first = lines.first, first.hasPrefix("pid "), let pid = Int32(first.dropFirst(4)) else { return nil }
        // A crash leaves the text behind; a dead pid (ESRCH) is no holder. EPERM means alive.
        // The repair holds the lock itself while it checks: that is no other holder.
        guard pid != getpid(), kill(pid, 0) == 0 || errno == EPERM else { return nil }
        return LockHolder(pid: pid, text: lines.joined(separator: ", "))
    }

    public var description: String { text }
}
