import Foundation

/// The platform an image config names (`os`, `architecture`, `variant` at its top level).
enum ConfigPlatform {
    private struct Fields: Decodable {
        var os: String
        var architecture: String
        var variant: String?
    }

    static func platform(of config: [UInt8]) throws -> Descriptor.Platform {
        let fields = try JSONDecoder().decode(Fields.self, from: Data(config))
        return Descriptor.Platform(os: fields.os, architecture: fields.architecture, variant: fields.variant)
    }
}
