import Foundation
import TestSupport

/// A fresh directory under the system's temporary folder, removed when the test is done with it.
final class TemporaryDirectory: Sendable {
    let path: String

    init(_ label: String = "store") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-\(label)-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func files(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + folder)) ?? []).sorted()
    }

    func size(of relativePath: String) -> UInt64 {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + relativePath)
        return (attributes?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// XORs one byte of a file in place: the corruption tests' bit rot.
    func flipByte(in relativePath: String, at offset: UInt64) throws {
        try TestSupport.flipByte(atPath: path + "/" + relativePath, offset: offset, mask: 0x40)
    }
}
