import Foundation
@testable import Registry

/// A database file in a fresh temporary directory, removed with it when the test ends.
final class ScratchDatabase: Sendable {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-metadata-\(UUID().uuidString)").path
    var path: String { directory + "/metadata.db" }

    init() {
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func open() throws -> SQLiteMetadataStore {
        try SQLiteMetadataStore(path: path)
    }

    func userVersion() throws -> Int {
        try SQLiteConnection(path: path, readOnly: true).firstRow("PRAGMA user_version") { Int($0.integer(at: 0)) } ?? 0
    }
}
