import Foundation
import Registry
import Yams

/// Every `stowage serve` option in one table: its YAML key, its `STOWAGE_*` variable, and how it
/// sets the configuration. Sources apply in order: YAML file, environment, flags; later wins.
struct ServeSetting: Sendable {
    let key: String
    let help: String
    /// A shorter variable also accepted (`STOWAGE_AUTH` for `auth.mode`).
    var alias: String? = nil
    let apply: @Sendable (inout RegistryServer.Configuration, String) throws -> Void

    var environmentVariable: String {
        "STOWAGE_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    static let all: [ServeSetting] = [
        ServeSetting(key: "data_dir", help: "data directory") { $0.dataDirectory = $1 },
        ServeSetting(key: "listen", help: "HOST:PORT to listen on") { configuration, value in
            (configuration.host, configuration.port) = try parseListen(value)
        },
        ServeSetting(key: "limits.max_blob_size", help: "largest blob in bytes") { $0.store.maxBlobSize = try number($1) },
        ServeSetting(key: "limits.allow_foreign_layers", help: "accept non-distributable layers") {
            $0.registry.allowForeignLayers = try boolean($1)
        },
        ServeSetting(key: "auth.mode", help: "token or none", alias: "STOWAGE_AUTH") { $0.authMode = try authMode($1) },
        ServeSetting(key: "auth.insecure_no_auth", help: "allow auth mode none off loopback") { $0.forceNoAuth = try boolean($1) },
        ServeSetting(key: "auth.service", help: "service name of token authentication") { $0.auth.service = $1 },
        ServeSetting(key: "storage.pack_size_limit", help: "bytes after which a shared pack is sealed") {
            $0.store.packSizeLimit = try number($1)
        },
        ServeSetting(key: "storage.solo_threshold", help: "blobs of this size or more get their own pack") {
            $0.store.soloThreshold = try number($1)
        },
        ServeSetting(key: "gc.interval", help: "seconds between garbage collection runs, 0 for on demand only") {
            $0.registry.collection.interval = try seconds($1)
        },
        ServeSetting(key: "gc.grace_period", help: "seconds a condemned blob stays untouched before it is deleted") {
            $0.registry.collection.gracePeriod = try seconds($1)
        },
        ServeSetting(key: "gc.restore_window", help: "seconds a deleted package or version can be restored") {
            $0.registry.collection.restoreWindow = try seconds($1)
        },
        ServeSetting(key: "gc.upload_expiry", help: "seconds after which an unfinished upload is abandoned") {
            $0.registry.collection.uploadExpiry = try seconds($1)
        },
        ServeSetting(key: "gc.compact_dead_share", help: "dead share (0 to 1) from which a shared pack is compacted") {
            guard let share = Double($1), (0...1).contains(share) else { throw Invalid(description: "'\($1)' is not between 0 and 1") }
            $0.registry.collection.compactDeadShare = share
        },
        ServeSetting(key: "gc.compact_byte_limit", help: "bytes compaction copies at most per run") {
            $0.registry.collection.compactByteLimit = try number($1)
        },
        ServeSetting(key: "gc.compact_bytes_per_second", help: "bytes compaction copies at most per second") {
            $0.registry.collection.compactBytesPerSecond = try number($1)
        },
    ]

    static func seconds(_ value: String) throws -> Int64 {
        guard let seconds = Int64(value), seconds >= 0 else { throw Invalid(description: "'\(value)' is not a number of seconds") }
        return seconds
    }

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    static func parseListen(_ value: String) throws -> (String, Int) {
        guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]), (0...65535).contains(port) else {
            throw Invalid(description: "listen address '\(value)' is not HOST:PORT")
        }
        var host = String(value[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    static func authMode(_ value: String) throws -> AuthSettings.Mode {
        guard let mode = AuthSettings.Mode(rawValue: value) else {
            throw Invalid(description: "auth mode '\(value)' is not one of: \(AuthSettings.Mode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return mode
    }

    static func number(_ value: String) throws -> UInt64 {
        guard let number = UInt64(value) else { throw Invalid(description: "'\(value)' is not a whole number") }
        return number
    }

    static func boolean(_ value: String) throws -> Bool {
        switch value.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw Invalid(description: "'\(value)' is not true or false")
        }
    }

    /// The configuration from a YAML file, then the environment.
    static func configuration(file: String?) throws -> RegistryServer.Configuration {
        var configuration = RegistryServer.Configuration()
        if let file { try applyFile(file, to: &configuration) }
        try applyEnvironment(ProcessInfo.processInfo.environment, to: &configuration)
        return configuration
    }

    /// Applies a YAML file; an unknown key is an error, so a typo never goes unnoticed.
    static func applyFile(_ path: String, to configuration: inout RegistryServer.Configuration) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let root = try Yams.load(yaml: text) as? [String: Any] else {
            throw Invalid(description: "\(path): the configuration must be a YAML mapping")
        }
        var values: [String: String] = [:]
        func flatten(_ node: [String: Any], prefix: String) {
            for (key, value) in node {
                if let child = value as? [String: Any] {
                    flatten(child, prefix: prefix + key + ".")
                } else {
                    values[prefix + key] = "\(value)"
                }
            }
        }
        flatten(root, prefix: "")
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let setting = all.first(where: { $0.key == key }) else {
                throw Invalid(description: "\(path): unknown setting '\(key)' (known: \(all.map(\.key).joined(separator: ", ")))")
            }
            try setting.apply(&configuration, value)
        }
    }

    static func applyEnvironment(_ environment: [String: String], to configuration: inout RegistryServer.Configuration) throws {
        for setting in all {
            if let value = environment[setting.environmentVariable] ?? setting.alias.flatMap({ environment[$0] }) {
                try setting.apply(&configuration, value)
            }
        }
    }
}
