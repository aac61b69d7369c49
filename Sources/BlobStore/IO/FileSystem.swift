#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Directory-level operations, each checked; the building blocks of "replace by rename".
enum FileSystem {
    static func createDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw BlobStoreError.io(operation: "mkdir", path: path, code: Errno.current)
        }
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Names in a directory, without `.` and `..`.
    static func list(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw BlobStoreError.io(operation: "opendir", path: path, code: Errno.current) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw BlobStoreError.io(operation: "rename to \(to)", path: from, code: Errno.current) }
    }

    static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw BlobStoreError.io(operation: "unlink", path: path, code: Errno.current) }
    }

    /// The file's size, or nil if it does not exist.
    static func fileSize(_ path: String) throws -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw BlobStoreError.io(operation: "stat", path: path, code: Errno.current)
        }
        return UInt64(info.st_size)
    }

    /// Makes the directory's entries (a rename, a new file) durable.
    static func syncDirectory(_ path: String) throws {
        let directory = try SystemFile.open(path, flags: O_RDONLY | O_DIRECTORY)
        guard retryOnInterrupt({ fsync(directory.descriptor) }) == 0 else {
            throw BlobStoreError.syncFailed(path: path, code: Errno.current)
        }
    }

    /// Writes `bytes` to `path` the crash-safe way: `path.tmp`, fdatasync, rename, fsync of the
    /// directory. Readers see the old file or the new one, never a mix. A new file gets `mode`.
    static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) throws {
        let temporary = path + ".tmp"
        let file = try SystemFile.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        try file.write(bytes, at: 0)
        try file.sync()
        try rename(temporary, to: path)
        try syncDirectory(directory(of: path))
    }

    /// Removes the `*.tmp` files in `directory`: what a crash left of replacements that never
    /// reached their rename (docs/FORMAT.md, "Data directory").
    static func removeLeftovers(in directory: String) throws {
        for name in try list(directory) where name.hasSuffix(".tmp") {
            try remove("\(directory)/\(name)")
        }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
