import ArgumentParser
import BlobStore
import Foundation
import Logging
import ObjectStore
import Registry

/// `stowage-fsck`: checks a Stowage data directory at every level and repairs what can be
/// repaired, with the engine and registry code the server runs. The work is in BlobStore's
/// `StoreChecker`/`StoreRepairer` and Registry's `ReferenceChecker`; this file parses, wires and
/// prints.
@main
struct StowageFsck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stowage-fsck",
        abstract: "Check a Stowage data directory and repair what can be repaired.",
        discussion: """
            Levels include the ones before them; the references check runs at every level:
              structure  pack framing, index files against the packs, upload state files
              scrub      also every payload block against its XXH3
              verify     also every blob's digest (or a sample with --sample)

            Checks only read: they open the metadata database read-only and refuse one whose schema is older or newer than this build's. They may run beside a running server. --repair takes the data directory's lock and refuses while a server holds it.

            Exit status: 0 nothing is wrong; 1 problems were found (or are left after --repair); 2 the check could not run (the directory is unreadable, or held by a server for --repair); 64 bad arguments.
            """
    )

    @Option(name: .customLong("data-dir"), help: "Data directory (default $STOWAGE_DATA_DIR, else ./stowage-data).")
    var dataDirectory: String?

    @Option(
        name: .customLong("metadata-url"),
        help: "PostgreSQL database of the metadata, postgres://USER:PASSWORD@HOST:PORT/DATABASE (default $STOWAGE_METADATA_URL, else DATA/metadata.db).")
    var metadataURL: String?

    @Option(
        name: .customLong("s3-endpoint"),
        help: "A cluster's S3 store, http(s)://HOST:PORT (default $STOWAGE_STORAGE_S3_ENDPOINT): check its bucket and the PostgreSQL --metadata-url instead of a data directory. Credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")
    var s3Endpoint: String?

    @Option(name: .customLong("s3-bucket"), help: "The cluster's bucket (default $STOWAGE_STORAGE_S3_BUCKET).")
    var s3Bucket: String?

    @Option(name: .customLong("s3-prefix"), help: "The cluster's key prefix (default $STOWAGE_STORAGE_S3_PREFIX).")
    var s3Prefix: String?

    @Option(help: "How deep to read: structure, scrub or verify.")
    var level: CheckLevel = .structure

    @Flag(help: "Check that image configs' rootfs.diff_ids match their layers' uncompressed digests.")
    var layers = false

    @Option(help: "At the verify level, check the digests of this percentage of blobs (the same ones each run).")
    var sample: Double?

    @Option(help: "Records checked at once (default: one per processor).")
    var jobs: Int?

    @Flag(help: "Print the report as JSON on standard output.")
    var json = false

    @Flag(help: "Repair: rebuild the indexes, quarantine bad records, drop links and tags that point at nothing.")
    var repair = false

    func validate() throws {
        if let sample {
            guard sample > 0, sample <= 100 else { throw ValidationError("--sample must be a percentage above 0 and at most 100") }
            guard level == .verify else { throw ValidationError("--sample applies to --level verify only") }
        }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    var resolvedDirectory: String {
        dataDirectory ?? ProcessInfo.processInfo.environment["STOWAGE_DATA_DIR"] ?? RegistryServer.Configuration.defaultDataDirectory
    }

    func run() async throws {
        if let storage = try objectStorage() {
            let report: ClusterFsckReport
            do {
                report = try await checkCluster(storage)
            } catch {
                StandardError.write("stowage-fsck: \((error as? FsckFailure)?.message ?? "\(error)")\n")
                throw ExitCode(2)
            }
            print(json ? try report.json() : report.summary(), terminator: json ? "\n" : "")
            if !report.isClean { throw ExitCode(1) }
            return
        }
        let report: FsckReport
        do {
            report = try await repair ? checkAndRepair() : check()
        } catch let error as FsckFailure {
            StandardError.write("stowage-fsck: \(error.message)\n")
            throw ExitCode(2)
        } catch {
            StandardError.write("stowage-fsck: \(error)\n")
            throw ExitCode(2)
        }
        print(json ? try report.json() : report.summary(), terminator: json ? "\n" : "")
        if !report.isClean { throw ExitCode(1) }
    }

    private func check() async throws -> FsckReport {
        let metadata = try await openMetadata(writable: false)
        let store = try await checkStore()
        let references = try await checkReferences(store.contents, metadata)
        return FsckReport(directory: resolvedDirectory, level: level, layers: layers, store: store, references: references?.report)
    }

    private func checkAndRepair() async throws -> FsckReport {
        let lock: StoreLock
        do {
            lock = try StoreLock(dataDirectory: resolvedDirectory)
        } catch BlobStoreError.locked(let path, let holder) {
            throw FsckFailure(message: "refusing to repair \(path): a server holds it (\(holder)); stop it first, or run without --repair to check it read-only")
        }
        defer { lock.release() }
        // Before any repair: a database this build cannot read stops the run with nothing changed.
        let metadata = try await openMetadata(writable: true)
        let found = try await checkStore()
        let storeRepair = try await StoreRepairer.repair(found, lock: lock)
        let store = storeRepair.isEmpty ? found : try await checkStore()
        var referencesFound: ReferenceReport?
        var referencesRepair: ReferenceReport.Repair?
        var references: ReferenceReport?
        if let checked = try await checkReferences(store.contents, metadata) {
            referencesFound = checked.report
            let repaired = try await checked.checker.repair(checked.report)
            referencesRepair = repaired
            references = repaired.isEmpty ? checked.report : try await checked.checker.run()
        }
        return FsckReport(
            directory: resolvedDirectory, level: level, layers: layers, store: store, references: references,
            repair: FsckReport.RepairSummary(
                storeFindings: found.findings, referenceFindings: referencesFound?.problems ?? [], store: storeRepair,
                references: referencesRepair))
    }

    /// The cluster's storage settings, when the flags or the environment name a bucket.
    private func objectStorage() throws -> ObjectStorageSettings? {
        let environment = ProcessInfo.processInfo.environment
        var settings = ObjectStorageSettings()
        if let endpoint = s3Endpoint ?? environment["STOWAGE_STORAGE_S3_ENDPOINT"] { settings.endpoint = try S3Endpoint(endpoint) }
        settings.bucket = s3Bucket ?? environment["STOWAGE_STORAGE_S3_BUCKET"]
        settings.prefix = s3Prefix ?? environment["STOWAGE_STORAGE_S3_PREFIX"] ?? ""
        if let region = environment["STOWAGE_STORAGE_S3_REGION"] { settings.region = region }
        settings.accessKeyID = environment["STOWAGE_STORAGE_S3_ACCESS_KEY"] ?? environment["AWS_ACCESS_KEY_ID"]
        settings.secretAccessKey = environment["STOWAGE_STORAGE_S3_SECRET_KEY"] ?? environment["AWS_SECRET_ACCESS_KEY"]
        guard settings.isConfigured else { return nil }
        _ = try settings.s3Settings()
        return settings
    }

    /// The bucket and its rows, then the references over what was found good; with --repair,
    /// both mended (beside running nodes: a repair deletes no object and writes rows only for
    /// objects that verify).
    private func checkCluster(_ settings: ObjectStorageSettings) async throws -> ClusterFsckReport {
        guard let metadata = try await openMetadata(writable: repair) else {
            throw FsckFailure(message: "a cluster's metadata is in PostgreSQL: give --metadata-url (or STOWAGE_METADATA_URL)")
        }
        guard metadata.database.dialect == .postgres else { throw ObjectStorageSettingsError.needsPostgreSQL }
        let store = try ObjectBlobStore(settings: settings, database: metadata.database, maxBlobSize: .max)
        do {
            var checker = ObjectStoreChecker(store: store)
            checker.level = level
            let found = try await checker.run()
            var references = ReferenceChecker(metadata: metadata.integrity, contents: ObjectStoreContents(store: store, report: found))
            references.checkLayers = layers
            let referencesFound = try await references.run()
            var report = ClusterFsckReport(
                bucket: "\(settings.endpoint.map { "\($0)" } ?? "")/\(settings.bucket ?? "")", level: level, layers: layers, store: found,
                references: referencesFound)
            if repair {
                let storeRepair = try await checker.repair(found)
                let after = storeRepair.isEmpty ? found : try await checker.run()
                references = ReferenceChecker(metadata: metadata.integrity, contents: ObjectStoreContents(store: store, report: after))
                references.checkLayers = layers
                let checked = try await references.run()
                let referencesRepair = try await references.repair(checked)
                report = ClusterFsckReport(
                    bucket: report.bucket, level: level, layers: layers, store: after,
                    references: referencesRepair.isEmpty ? checked : try await references.run(),
                    repair: .init(storeFindings: found.findings, referenceFindings: referencesFound.problems, store: storeRepair, references: referencesRepair))
            }
            try await store.close()
            return report
        } catch {
            try? await store.close()
            throw error
        }
    }

    private func checkStore() async throws -> StoreReport {
        var checker = StoreChecker(path: resolvedDirectory)
        checker.level = level
        checker.samplePercent = sample
        if let jobs { checker.jobs = jobs }
        let bar = level > .structure && ProgressBar.isTerminal
            ? Task { await ProgressBar(progress: checker.progress, label: level.rawValue).run() } : nil
        defer { bar?.cancel() }
        let report = try await checker.run()
        bar?.cancel()
        await bar?.value
        return report
    }

    /// Nil when the directory has no metadata database (a bare blob store): nothing to check.
    private func checkReferences(_ contents: StoreContents, _ metadata: Metadata?) async throws
        -> (checker: ReferenceChecker, report: ReferenceReport)?
    {
        guard let metadata else { return nil }
        var checker = ReferenceChecker(metadata: metadata.integrity, contents: contents)
        checker.checkLayers = layers
        return (checker, try await checker.run())
    }

    /// The metadata database, nil in a bare blob store: read-only and at exactly this build's
    /// schema; read-write for a repair, once the read-only open has shown that opening it so
    /// migrates nothing. On PostgreSQL (`--metadata-url`) the read-only open's connections are
    /// read-only sessions: nothing the check runs can write.
    private func openMetadata(writable: Bool) async throws -> Metadata? {
        let location = try MetadataLocation(
            url: metadataURL ?? ProcessInfo.processInfo.environment["STOWAGE_METADATA_URL"], dataDirectory: resolvedDirectory)
        if case .sqlite(let path) = location, !FileManager.default.fileExists(atPath: path) { return nil }
        var logger = Logger(label: "stowage-fsck")
        logger.logLevel = .warning
        let readOnly: Metadata
        do {
            readOnly = Metadata(database: try await location.open(readingOnly: true, logger: logger))
        } catch let error as MetadataError {
            switch error {
            case .schemaTooOld, .schemaTooNew:
                throw FsckFailure(message: "cannot check \(location.description): \(error); check it with the stowage-fsck of the version that wrote it (a check never migrates)")
            default:
                throw error
            }
        }
        return writable ? Metadata(database: try await location.open(logger: logger)) : readOnly
    }
}

/// A reason the check could not run, said plainly.
struct FsckFailure: Error {
    let message: String
}

extension CheckLevel: ExpressibleByArgument {}
