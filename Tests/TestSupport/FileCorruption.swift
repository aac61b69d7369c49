import Foundation

/// Bit rot for the corruption tests: XORs the byte at `offset` of the file at `path` with
/// `mask`, in place (a process holding the file open sees the change).
public func flipByte(atPath path: String, offset: UInt64, mask: UInt8) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: offset)
    guard let byte = try handle.read(upToCount: 1)?.first else {
        throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path])
    }
    try handle.seek(toOffset: offset)
    try handle.write(contentsOf: Data([byte ^ mask]))
}
