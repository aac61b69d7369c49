#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything one `stowage-bench run` measured, the unit `--json` writes and `compare` reads.
struct BenchReport: Codable, Sendable {
    var label: String
    var registry: String
    var serverPID: Int32?
    var largeBlobBytes: Int
    var chunkBytes: Int
    var smallBlobBytes: Int
    var results: [ScenarioResult]

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    init(
        label: String,
        registry: String,
        serverPID: Int32?,
        largeBlobBytes: Int,
        chunkBytes: Int,
        smallBlobBytes: Int,
        results: [ScenarioResult]
    ) {
        self.label = label
        self.registry = registry
        self.serverPID = serverPID
        self.largeBlobBytes = largeBlobBytes
        self.chunkBytes = chunkBytes
        self.smallBlobBytes = smallBlobBytes
        self.results = results
    }

    init(jsonFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BenchError("cannot read \(path)")
        }
        self = try JSONDecoder().decode(Self.self, from: data)
    }
}
