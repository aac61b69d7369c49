#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The engine's crash-safe replacement by rename, for the files of a data directory that other
/// modules write (the registry's signing keys), so that every file is replaced the one way
/// docs/FORMAT.md ("Data directory") describes.
public enum DurableFile {
    /// Replaces `path` with `bytes`: written as `path.tmp`, fdatasync'd, renamed over `path`, then
    /// its directory fsync'd. A crash leaves the old file or the new one; a new file gets `mode`.
    public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) throws {
        try FileSystem.replace(path, with: bytes, mode: mode)
    }

    /// Removes what a crash left of replacements in `directory` (`*.tmp`), before it is read.
    public static func removeLeftovers(in directory: String) throws {
        try FileSystem.removeLeftovers(in: directory)
    }
}
