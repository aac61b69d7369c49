import Synchronization

/// The paths of a data directory (docs/FORMAT.md, "Data directory").
struct DataDirectory: Sendable {
    let root: String

    var packs: String { root + "/packs" }
    var indexDirectory: String { root + "/index" }
    var uploads: String { root + "/uploads" }
    var publishedIndex: String { indexDirectory + "/current.idx" }
    /// Records no index may point at again (docs/FORMAT.md, "Deletion list").
    var deletionList: String { indexDirectory + "/deleted" }
    var lock: String { root + "/LOCK" }

    func packPath(_ id: UInt64) -> String { "\(packs)/pack-\(Self.hex(id)).pack" }
    func packIndexPath(_ id: UInt64) -> String { "\(packs)/pack-\(Self.hex(id)).idx" }
    func spoolPath(_ upload: String) -> String { "\(uploads)/\(upload).spool" }
    func statePath(_ upload: String) -> String { "\(uploads)/\(upload).state" }

    func createLayout() throws {
        for directory in [root, packs, indexDirectory, uploads] {
            try FileSystem.createDirectory(directory)
        }
    }

    static func hex(_ id: UInt64) -> String {
        let digits = String(id, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The pack id and extension of a name like `pack-00000000000000a1.pack`.
    static func parsePackFileName(_ name: String) -> (id: UInt64, ext: String)? {
        guard name.hasPrefix("pack-"), let dot = name.lastIndex(of: ".") else { return nil }
        let hexDigits = name[name.index(name.startIndex, offsetBy: 5)..<dot]
        guard hexDigits.count == 16, let id = UInt64(hexDigits, radix: 16) else { return nil }
        return (id, String(name[name.index(after: dot)...]))
    }
}

/// Hands out pack ids, ascending, never reused while the process runs; the next start continues
/// after the highest id on disk.
final class PackIDAllocator: Sendable {
    private let next: Mutex<UInt64>

    init(after highest: UInt64) {
        next = Mutex(highest + 1)
    }

    func allocate() -> UInt64 {
        next.withLock { next in
            defer { next += 1 }
            return next
        }
    }
}
