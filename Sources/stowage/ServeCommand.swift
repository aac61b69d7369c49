import ArgumentParser
import BlobStore
import Foundation
import Logging
import Registry

/// `stowage serve`: the registry on its embedded defaults (data in ./stowage-data, 127.0.0.1:5000),
/// tuned by a YAML file, `STOWAGE_*` variables and flags, in that order.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the registry.",
        discussion: "Settings (YAML key / environment variable):\n"
            + ServeSetting.all.map { "  \($0.key) / \($0.environmentVariable): \($0.help)" }.joined(separator: "\n")
    )

    @Option(name: .customLong("config"), help: "YAML configuration file.")
    var configFile: String?

    @Option(name: .customLong("data-dir"), help: "Data directory (default ./stowage-data).")
    var dataDirectory: String?

    @Option(name: .customLong("metadata-url"), help: "PostgreSQL database for the metadata, postgres://USER:PASSWORD@HOST:PORT/DATABASE (the password may come from PGPASSWORD; default DATA/metadata.db).")
    var metadataURL: String?

    @Option(help: "Address to listen on, HOST:PORT (default 127.0.0.1:5000; port 0 picks a free one).")
    var listen: String?

    @Option(name: .customLong("max-blob-size"), help: "Largest blob accepted, in bytes (default 5000000000).")
    var maxBlobSize: UInt64?

    @Flag(name: .customLong("allow-foreign-layers"), help: "Accept manifests with non-distributable layers.")
    var allowForeignLayers = false

    @Option(help: "Authentication: token or none (default: none on loopback, token elsewhere).")
    var auth: String?

    @Flag(name: .customLong("insecure-no-auth"), help: "Allow --auth none on an address other than loopback.")
    var insecureNoAuth = false

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain to serve HTTPS with (with --tls-key; SIGHUP reloads both).")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    func run() async throws {
        _ = try SHA256Implementation.fromEnvironment()
        var configuration = try ServeSetting.configuration(file: configFile)
        if let dataDirectory { configuration.dataDirectory = dataDirectory }
        if let metadataURL { try ServeSetting.named("metadata.url").apply(&configuration, metadataURL) }
        if let listen { (configuration.host, configuration.port) = try ServeSetting.parseListen(listen) }
        if let maxBlobSize { try ServeSetting.named("limits.max_blob_size").apply(&configuration, String(maxBlobSize)) }
        if allowForeignLayers { configuration.registry.allowForeignLayers = true }
        if let auth { configuration.authMode = try ServeSetting.authMode(auth) }
        if insecureNoAuth { configuration.forceNoAuth = true }
        if let tlsCertificate { try ServeSetting.named("tls.certificate").apply(&configuration, tlsCertificate) }
        if let tlsKey { try ServeSetting.named("tls.key").apply(&configuration, tlsKey) }
        try ServeSetting.validate(configuration)
        CrashPoint.install(into: &configuration)

        var logger = Logger(label: "stowage")
        logger.logLevel = .info
        let server = RegistryServer(configuration: configuration, logger: logger)
        let storage = configuration.objectStorage.isConfigured
            ? "blobs in \(configuration.objectStorage.endpoint.map { "\($0)" } ?? "")/\(configuration.objectStorage.bucket ?? "")"
            : "data in \(configuration.dataDirectory)"
        let scheme = configuration.tls == nil ? "http" : "https"
        let output = FileHandle.standardOutput
        try await server.run(announce: { output.write(Data(($0 + "\n").utf8)) }) { host, port in
            // One line on standard output once the socket is bound: scripts and tests wait for it.
            FileHandle.standardOutput.write(Data("stowage: listening on \(scheme)://\(host):\(port) (\(storage))\n".utf8))
        }
    }
}
