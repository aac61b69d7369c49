import Foundation
import ObjectStore
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
        ServeSetting(key: "metadata.url", help: "postgres://USER:PASSWORD@HOST:PORT/DATABASE to keep the metadata in (default: DATA/metadata.db)") {
            configuration, value in
            _ = try MetadataLocation(url: value, dataDirectory: configuration.dataDirectory)
            configuration.metadataURL = value
        },
        ServeSetting(key: "listen", help: "HOST:PORT to listen on") { configuration, value in
            (configuration.host, configuration.port) = try parseListen(value)
        },
        ServeSetting(key: "limits.max_blob_size", help: "largest blob in bytes") {
            $0.store.maxBlobSize = try number($1, in: 1...Limits.bytes)
        },
        ServeSetting(key: "limits.allow_foreign_layers", help: "accept non-distributable layers") {
            $0.registry.allowForeignLayers = try boolean($1)
        },
        ServeSetting(key: "auth.mode", help: "token or none", alias: "STOWAGE_AUTH") { $0.authMode = try authMode($1) },
        ServeSetting(key: "auth.insecure_no_auth", help: "allow auth mode none off loopback") { $0.forceNoAuth = try boolean($1) },
        ServeSetting(key: "auth.service", help: "service name of token authentication") { $0.auth.service = $1 },
        ServeSetting(key: "auth.login_failures", help: "failures of one credential before it is backed off") {
            $0.auth.maximumFailures = Int(try number($1, in: 1...1_000_000))
        },
        ServeSetting(key: "auth.login_failure_window", help: "seconds over which a credential's failures are counted") {
            $0.auth.failureWindow = try seconds($1)
        },
        ServeSetting(key: "auth.login_backoff_max", help: "longest delay in seconds a failing credential is refused for") {
            $0.auth.maximumBackoff = try seconds($1)
        },
        ServeSetting(key: "metrics.access", help: "who may read /metrics: off, open or administrators") { configuration, value in
            guard let access = AuthSettings.MetricsAccess(rawValue: value) else {
                throw Invalid(description: "metrics access '\(value)' is not one of: \(AuthSettings.MetricsAccess.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            configuration.auth.metricsAccess = access
        },
        ServeSetting(key: "public_url", help: "URL clients reach the registry at, e.g. https://registry.example.com") {
            $0.publicURL = try publicURL($1)
        },
        ServeSetting(key: "tls.certificate", help: "PEM certificate chain; with tls.key the server speaks only TLS") {
            $0.tls = TLSCertificates.Files(certificate: $1, key: $0.tls?.key ?? "")
        },
        ServeSetting(key: "tls.key", help: "PEM private key of tls.certificate") {
            $0.tls = TLSCertificates.Files(certificate: $0.tls?.certificate ?? "", key: $1)
        },
        ServeSetting(key: "access_log", help: "one line per request on standard output: text, json or off") { configuration, value in
            guard let format = AccessLog.Format(rawValue: value) else {
                throw Invalid(description: "access log '\(value)' is not one of: \(AccessLog.Format.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            configuration.accessLog = format
        },
        ServeSetting(key: "trusted_proxies", help: "addresses or CIDR ranges whose X-Forwarded-* headers are believed") { configuration, value in
            guard let proxies = TrustedProxies(parsing: value) else {
                throw Invalid(description: "trusted proxies '\(value)' is not a comma-separated list of addresses and CIDR ranges")
            }
            configuration.trustedProxies = proxies
        },
        ServeSetting(key: "limits.header_timeout", help: "seconds a client has to send a request's headers") {
            $0.connections.headerTimeout = try seconds($1, minimum: 1)
        },
        ServeSetting(key: "limits.body_idle_timeout", help: "seconds a request body may stall before the connection is closed") {
            $0.connections.bodyIdleTimeout = try seconds($1, minimum: 1)
        },
        ServeSetting(key: "limits.connections_per_address", help: "connections one address may hold, 0 for no limit") {
            $0.connections.perAddress = Int(try number($1, in: 0...1_000_000))
        },
        ServeSetting(key: "storage.pack_size_limit", help: "bytes after which a shared pack is sealed") {
            $0.store.packSizeLimit = try number($1, in: 4096...Limits.bytes)
        },
        ServeSetting(key: "storage.solo_threshold", help: "blobs of this size or more get their own pack") {
            $0.store.soloThreshold = try number($1, in: 0...Limits.bytes)
        },
        ServeSetting(key: "storage.s3.endpoint", help: "http(s)://HOST:PORT of an S3-compatible store: blobs go to its bucket (cluster mode)") {
            $0.objectStorage.endpoint = try S3Endpoint($1)
        },
        ServeSetting(key: "storage.s3.bucket", help: "the bucket the blobs go to (it must exist)") { $0.objectStorage.bucket = $1 },
        ServeSetting(key: "storage.s3.region", help: "the bucket's region (default us-east-1)") { $0.objectStorage.region = $1 },
        ServeSetting(key: "storage.s3.prefix", help: "put before every object key, e.g. registry/") { $0.objectStorage.prefix = $1 },
        ServeSetting(key: "storage.s3.access_key", help: "the store's access key id", alias: "AWS_ACCESS_KEY_ID") {
            $0.objectStorage.accessKeyID = $1
        },
        ServeSetting(key: "storage.s3.secret_key", help: "the store's secret access key", alias: "AWS_SECRET_ACCESS_KEY") {
            $0.objectStorage.secretAccessKey = $1
        },
        ServeSetting(key: "storage.s3.inline_limit", help: "blobs under this many bytes are kept in PostgreSQL, not in objects") {
            $0.objectStorage.inlineLimit = Int(try number($1, in: 0...(5 << 20)))
        },
        ServeSetting(key: "storage.s3.part_size", help: "bytes per multipart part, whole MiB from 5 MiB; a node holds three per upload") {
            let size = try number($1, in: (5 << 20)...(5 << 30))
            guard size % (1 << 20) == 0 else { throw Invalid(description: "'\($1)' is not a whole number of MiB") }
            $0.objectStorage.partSize = Int(size)
        },
        ServeSetting(key: "storage.redirect", help: "blob GETs answer 307 with a presigned URL of the object (cluster mode)") {
            $0.objectStorage.redirect = try boolean($1)
        },
        ServeSetting(key: "storage.cache_size", help: "bytes of memory for the object store's index rows and small blobs") {
            $0.objectStorage.cacheBudget = Int(try number($1, in: 0...Limits.bytes))
        },
        ServeSetting(key: "pages.count_pulls", help: "count manifest pulls per package and version (the pages and the management API show them)") {
            $0.registry.countPulls = try boolean($1)
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
            $0.registry.collection.compactByteLimit = try number($1, in: 0...Limits.bytes)
        },
        ServeSetting(key: "gc.compact_bytes_per_second", help: "bytes compaction copies at most per second") {
            $0.registry.collection.compactBytesPerSecond = try number($1, in: 1...Limits.bytes)
        },
    ]

    /// Checks what single settings cannot: the certificate and its key come together.
    static func validate(_ configuration: RegistryServer.Configuration) throws {
        if let tls = configuration.tls, tls.certificate.isEmpty || tls.key.isEmpty {
            throw Invalid(description: "tls.certificate and tls.key (--tls-cert and --tls-key) must be given together")
        }
        if configuration.objectStorage.isConfigured {
            _ = try configuration.objectStorage.s3Settings()
            guard case .postgres = try MetadataLocation(url: configuration.metadataURL, dataDirectory: configuration.dataDirectory) else {
                throw ObjectStorageSettingsError.needsPostgreSQL
            }
        }
    }

    /// The setting with `key`; flags that duplicate a setting go through it, so they are
    /// checked the same way.
    static func named(_ key: String) -> ServeSetting {
        guard let setting = all.first(where: { $0.key == key }) else { preconditionFailure("no setting \(key)") }
        return setting
    }

    /// The ranges every number of the configuration must fall in, so that no arithmetic on a
    /// setting (a deadline, a rate, a byte count added to an offset) can overflow and stop the
    /// server: a century of seconds, a pebibyte of bytes.
    enum Limits {
        static let seconds: Int64 = 100 * 365 * 86_400
        static let bytes: UInt64 = 1 << 50
    }

    static func seconds(_ value: String, minimum: Int64 = 0) throws -> Int64 {
        guard let seconds = Int64(value), (minimum...Limits.seconds).contains(seconds) else {
            throw Invalid(description: "'\(value)' is not a number of seconds from \(minimum) to \(Limits.seconds)")
        }
        return seconds
    }

    /// An http or https URL with a host and nothing after it but an optional path prefix;
    /// without a trailing slash.
    static func publicURL(_ value: String) throws -> String {
        var url = value
        while url.hasSuffix("/") { url.removeLast() }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host?.isEmpty == false,
              parsed.query == nil, parsed.fragment == nil, parsed.user == nil,
              url.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "\"" && $0 != "\\" })
        else { throw Invalid(description: "public URL '\(value)' is not an http or https URL such as https://registry.example.com") }
        return url
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

    static func number(_ value: String, in range: ClosedRange<UInt64>) throws -> UInt64 {
        guard let number = UInt64(value), range.contains(number) else {
            throw Invalid(description: "'\(value)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
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
        // The library's default is no access log (tests, embedders); the server logs text.
        configuration.accessLog = .text
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
