#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore

/// The body of `GET /v2/<name>/tags/list`.
struct TagList: Decodable {
    let name: String
    /// Distribution answers `null` rather than `[]` for a repository without tags.
    let tags: [String]

    private enum CodingKeys: String, CodingKey { case name, tags }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
    }

    init(json: ByteBuffer) throws {
        self = try JSONDecoder().decode(Self.self, from: Data(json.readableBytesView))
    }
}
