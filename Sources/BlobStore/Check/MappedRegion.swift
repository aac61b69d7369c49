#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only mapping of part of a file, unmapped when it goes. The payload pass of a check
/// reads through mappings rather than pread: from a warm page cache the copy pread makes costs
/// as much as the XXH3 of the same bytes, and it was the gap between hashing a store and
/// hashing the same bytes in memory.
///
/// Touching a page past the end of a file raises SIGBUS, so the caller maps only what a fresh
/// `size()` says is there; packs are append-only and only ever cut past their last whole record
/// (by opening or repair, neither of which runs beside a check that maps), so a whole record
/// stays in the file while it is read.
struct MappedRegion: ~Copyable {
    private let base: UnsafeMutableRawPointer
    private let mappedLength: Int
    /// The bytes asked for, inside the page-aligned mapping.
    let bytes: UnsafeRawBufferPointer

    private static let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))

    init(_ file: SystemFile, offset: UInt64, count: Int) throws {
        let aligned = offset & ~(Self.pageSize - 1)
        let lead = Int(offset - aligned)
        mappedLength = Swift.max(1, lead + count)
        // MAP_POPULATE fills the page tables in one call instead of one fault per 4 KiB page.
        guard let mapping = mmap(nil, mappedLength, PROT_READ, MAP_PRIVATE | MAP_POPULATE, file.descriptor, off_t(aligned)),
              mapping != MAP_FAILED
        else {
            throw BlobStoreError.io(operation: "mmap", path: file.path, code: Errno.current)
        }
        base = mapping
        bytes = UnsafeRawBufferPointer(start: mapping + lead, count: count)
    }

    deinit { munmap(base, mappedLength) }
}
