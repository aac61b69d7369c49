import Foundation
@testable import Registry
import TestSupport
import Testing

/// A check only reads the metadata database (docs/FORMAT.md, "Metadata database"): it leaves the
/// file and its `-wal` and `-shm` as they were, reads a copy it cannot write, and refuses a
/// database at a schema other than its own instead of migrating it.
@Suite("stowage-fsck and the metadata database", .serialized)
struct FsckMetadataTests {
    private func metadataPath(_ fixture: FsckFixture) -> String {
        RegistryServer.Configuration.metadataPath(in: fixture.data)
    }

    /// The database and whatever `-wal` and `-shm` lie beside it, byte for byte (nil: absent).
    private func files(_ path: String) -> [String: Data?] {
        Dictionary(uniqueKeysWithValues: ["", "-wal", "-shm"].map { ($0, FileManager.default.contents(atPath: path + $0)) })
    }

    /// `PRAGMA user_version` as the file's header holds it (big-endian at offset 60), read
    /// without opening a connection that could write.
    private func userVersion(_ path: String) throws -> Int {
        let header = try #require(FileManager.default.contents(atPath: path)).prefix(64)
        return header.suffix(4).reduce(0) { $0 << 8 | Int($1) }
    }

    @Test func aCheckLeavesTheDatabaseAsItWas() async throws {
        let fixture = try await FsckFixture.make()
        let before = files(metadataPath(fixture))
        for arguments in [["--level", "structure"], ["--level", "verify", "--layers"]] {
            let check = try FsckResult(fixture, arguments)
            #expect(check.status == 0, "\(check)")
            #expect(files(metadataPath(fixture)) == before, "the check wrote beside or into the database")
        }
    }

    /// As a user who may not write the copy (root may write anything, so the check runs as
    /// nobody when the tests run as root).
    @Test func aCheckReadsACopyItCannotWrite() async throws {
        let fixture = try await FsckFixture.make()
        let copy = fixture.root + "/read-only"
        try FileManager.default.copyItem(atPath: fixture.data, toPath: copy)
        let paths = [copy] + (FileManager.default.subpaths(atPath: copy) ?? []).map { copy + "/" + $0 }
        for path in paths {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            try FileManager.default.setAttributes([.posixPermissions: isDirectory.boolValue ? 0o555 : 0o444], ofItemAtPath: path)
        }
        defer {
            for path in paths { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) }
        }
        let before = files(copy + "/metadata.db")
        let fsck = BuiltExecutable.url("stowage-fsck")
        let check = getuid() == 0
            ? try ChildRun.run(URL(fileURLWithPath: "/usr/bin/setpriv"),
                               ["--reuid=65534", "--regid=65534", "--clear-groups", fsck.path, "--data-dir", copy, "--level", "verify"])
            : try ChildRun.run(fsck, ["--data-dir", copy, "--level", "verify"])
        #expect(check.status == 0, "\(check)")
        #expect(check.output.contains("OK: no problems found."), "\(check)")
        #expect(files(copy + "/metadata.db") == before)
    }

    @Test func aDatabaseAtAnOlderSchemaIsRefusedNotMigrated() async throws {
        let fixture = try await FsckFixture.make()
        let path = metadataPath(fixture)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        // The database of a server one migration behind this build.
        let older = SchemaMigrations.latestVersion - 1
        do {
            let connection = try SQLiteConnection(path: path, readOnly: false)
            try connection.execute("PRAGMA journal_mode = WAL")
            for migration in SchemaMigrations.sqlite.prefix(older) { try connection.execute(migration) }
            try connection.execute("PRAGMA user_version = \(older)")
        }
        let before = files(path)

        for arguments in [["--level", "structure"], ["--repair"]] {
            let run = try ChildRun.fsck(["--data-dir", fixture.data] + arguments)
            #expect(run.status == 2, "\(run)")
            #expect(run.error.contains("schema version \(older), older than this build's \(SchemaMigrations.latestVersion)"), "\(run)")
            #expect(files(path) == before, "\(arguments) touched the database")
            #expect(try userVersion(path) == older)
        }
    }
}
