import CStowageSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor, closed when the last reference goes. Positioned I/O only (pread,
/// pwrite), so one file is safe to share between threads; a pack removed by GC stays readable
/// through the descriptors still open on it.
final class SystemFile: Sendable {
    let descriptor: Int32
    let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws -> SystemFile {
        let descriptor = retryOnInterrupt { Glibc.open(path, flags | O_CLOEXEC, mode) }
        guard descriptor >= 0 else { throw BlobStoreError.io(operation: "open", path: path, code: Errno.current) }
        return SystemFile(descriptor: descriptor, path: path)
    }

    static func openForReading(_ path: String) throws -> SystemFile {
        try open(path, flags: O_RDONLY)
    }

    /// The file opened again for writes that bypass the page cache: buffers, offsets and lengths
    /// must be multiples of the device's block size (`SpoolWriter` keeps them at 4 KiB).
    static func openDirect(_ path: String) throws -> SystemFile {
        let direct = stowage_direct_io_flag()
        guard direct != 0 else { throw BlobStoreError.io(operation: "open O_DIRECT", path: path, code: EINVAL) }
        return try open(path, flags: O_WRONLY | direct)
    }

    /// Reads until `buffer` is full or the file ends; returns the bytes read.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        var done = 0
        while done < buffer.count {
            let count = retryOnInterrupt {
                pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            }
            guard count >= 0 else { throw BlobStoreError.io(operation: "pread", path: path, code: Errno.current) }
            if count == 0 { break }
            done += count
        }
        return done
    }

    /// Asks the kernel to start reading `range` into the page cache and returns at once; a hint,
    /// so a failure is not an error.
    func prefetch(_ range: Range<UInt64>) {
        #if os(Linux)
        _ = posix_fadvise(descriptor, off_t(range.lowerBound), off_t(range.count), POSIX_FADV_WILLNEED)
        #endif
    }

    /// Exactly `count` bytes at `offset`, or an error naming the short read.
    func read(count: Int, at offset: UInt64) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes({ (buffer) in try read(into: buffer, at: offset) })
        guard got == count else {
            throw BlobStoreError.damaged(path: path, reason: "expected \(count) bytes at offset \(offset), file ends after \(got)")
        }
        return bytes
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        var done = 0
        while done < bytes.count {
            let count = retryOnInterrupt {
                pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            guard count > 0 else { throw BlobStoreError.io(operation: "pwrite", path: path, code: count == 0 ? EIO : Errno.current) }
            done += count
        }
    }

    func write(_ bytes: [UInt8], at offset: UInt64) throws {
        try bytes.withUnsafeBytes({ (buffer) in try write(buffer, at: offset) })
    }

    /// fdatasync: the data and the metadata needed to read it back (size) are on stable storage.
    func sync() throws {
        guard retryOnInterrupt({ fdatasync(descriptor) }) == 0 else {
            throw BlobStoreError.syncFailed(path: path, code: Errno.current)
        }
    }

    func size() throws -> UInt64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw BlobStoreError.io(operation: "fstat", path: path, code: Errno.current) }
        return UInt64(info.st_size)
    }

    func truncate(to size: UInt64) throws {
        guard retryOnInterrupt({ ftruncate(descriptor, off_t(size)) }) == 0 else {
            throw BlobStoreError.io(operation: "ftruncate", path: path, code: Errno.current)
        }
    }
}

/// Repeats a system call that failed with EINTR.
@inline(__always)
func retryOnInterrupt<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}
