import BlobStore
import Foundation
@testable import Registry
import TestSupport
import Testing

/// The database layer itself: what PostgreSQL must do for several nodes that SQLite's single
/// process never needed, and the parameter translation the shared SQL relies on.
@Suite("Database layer (PostgreSQL)")
struct DatabaseTests {
    @Test func sqliteParametersBecomePostgresOnes() {
        #expect(PostgreSQLPlaceholders.translate(sql: "SELECT ? , ?, ?") == "SELECT $1 , $2, $3")
        #expect(PostgreSQLPlaceholders.translate(sql: "WHERE a = ?2 AND b = ?1 OR c = ?") == "WHERE a = $2 AND b = $1 OR c = $3")
        #expect(PostgreSQLPlaceholders.translate(sql: "SELECT '?', ?") == "SELECT '?', $1")
        #expect(PostgreSQLPlaceholders.translate(sql: "x = ?10 AND y = ?") == "x = $10 AND y = $11")
    }

    @Test func scriptsSplitOutsideQuotesAndFunctionBodies() {
        let statements = PostgreSQLSession.statements("CREATE TABLE a (b TEXT DEFAULT ';'); CREATE FUNCTION f() AS $$ BEGIN x; END $$;\n")
        #expect(statements == ["CREATE TABLE a (b TEXT DEFAULT ';')", "CREATE FUNCTION f() AS $$ BEGIN x; END $$"])
    }

    /// Several nodes starting at once against an empty database: each opens it, the schema is
    /// created once, and all of them see it.
    @Test func nodesStartingAtOnceMigrateOnce() async throws {
        let database = try await ScratchDatabase(.postgres)
        let stores = try await withThrowingTaskGroup(of: Metadata.self) { group in
            for _ in 0..<6 { group.addTask { try await database.open() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        try await stores[0].accounts.createUser("alice", admin: false)
        for store in stores { #expect(try await store.accounts.user(named: "alice") != nil) }
        let version = try await stores[0].database.read { db in
            try await db.firstRow("SELECT version FROM stowage_schema") { $0.integer(at: 0) }
        }
        #expect(version == Int64(SchemaMigrations.latestVersion))
    }

    /// A node refuses a database a newer build migrated, rather than run old code on it.
    @Test func aSchemaFromTheFutureIsRefused() async throws {
        let database = try await ScratchDatabase(.postgres)
        let store = try await database.open()
        try await store.database.write { db in try await db.run("UPDATE stowage_schema SET version = 99") }
        let error = await #expect(throws: MetadataError.self) { _ = try await database.open() }
        #expect(error == .schemaTooNew(version: 99, supported: SchemaMigrations.latestVersion))
    }

    /// What stowage-fsck opens: it neither migrates an empty database nor writes to one.
    @Test func aReadingOnlyDatabaseNeitherMigratesNorWrites() async throws {
        let empty = try await ScratchDatabase(.postgres)
        let notMigrated = await #expect(throws: MetadataError.self) { _ = try await empty.openDatabase(readingOnly: true) }
        #expect(notMigrated == .schemaTooOld(version: 0, supported: SchemaMigrations.latestVersion))

        let database = try await ScratchDatabase(.postgres)
        _ = try await database.open()
        let reader = Metadata(database: try await database.openDatabase(readingOnly: true))
        #expect(try await reader.accounts.users().isEmpty)
        await #expect(throws: MetadataError.self) { try await reader.accounts.createUser("alice", admin: false) }
    }

    /// Of two nodes, one holds the collection lock; the other is told so and runs nothing until
    /// it is released.
    @Test func oneNodeAtATimeHoldsALock() async throws {
        let database = try await ScratchDatabase(.postgres)
        let first = try await database.openDatabase(), second = try await database.openDatabase()
        let (entered, enteredContinuation) = AsyncStream<Void>.makeStream()
        let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
        async let held = first.exclusively(42) {
            enteredContinuation.yield()
            for await _ in release { break }
            return "first"
        }
        for await _ in entered { break }
        let refused = try await second.exclusively(42) { "second" }
        releaseContinuation.yield()
        #expect(try await held == "first")
        #expect(refused == nil)
        #expect(try await second.exclusively(42) { "second" } == "second")
    }

    /// Liveness across nodes: a blob another node condemned is revived by a touch here, and a
    /// touch of a blob another node is sweeping waits until that sweep is over.
    @Test func aTouchRevivesWhatAnotherNodeCondemnedAndWaitsForItsSweep() async throws {
        let database = try await ScratchDatabase(.postgres)
        let collector = try await database.open().collection
        let node = BlobLiveness(metadata: try await database.open().collection, condemned: [], shared: true)
        let digest = Digest.of(Array("blob".utf8))

        try await collector.condemn([digest], at: 1)
        try await node.touch([digest])
        #expect(try await collector.condemnation(of: [digest]).isEmpty)

        try await collector.condemn([digest], at: 1)
        #expect(try await collector.sweep([digest], condemnedBefore: 10, linkedAfter: 10, now: 5) == [digest])
        let touched = Task { try await node.touch([digest]) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await collector.condemnation(of: [digest]) == [digest: 5])
        try await collector.endSweep([digest])
        try await touched.value
        #expect(try await collector.condemnation(of: [digest]).isEmpty)
    }
}
