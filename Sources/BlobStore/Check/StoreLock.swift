/// The data directory's lock, taken by `stowage-fsck --repair` exactly as a server takes it, so
/// that a repair and a server never work on one directory at once.
public final class StoreLock: Sendable {
    let directory: DataDirectory
    private let lock: DirectoryLock

    /// Throws `BlobStoreError.locked`, naming the holder (its pid), when another process has it.
    public init(dataDirectory path: String) throws {
        directory = DataDirectory(root: path)
        lock = try DirectoryLock(path: directory.lock)
    }

    public func release() {
        lock.release()
    }
}
