import BlobStore
import Dispatch
import Foundation
@testable import Registry
import TestSupport
import Testing

@Suite("Metadata store (SQLite and PostgreSQL)")
struct MetadataStoreTests {
    private let database = ScratchDatabase()

    @Test(arguments: DatabaseBackend.databases) func blobLinksArePerRepository(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let alice = name("alice/app"), bob = name("bob/app")
        let existedBefore = try await store.manifests.repositoryExists(alice)

        try await store.blobLinks.linkBlob(digest(1), size: 10, in: alice)
        try await store.blobLinks.linkBlob(digest(1), size: 10, in: alice)
        let exists = try await store.manifests.repositoryExists(alice)
        let linked = try await store.blobLinks.isBlobLinked(digest(1), in: alice)
        let linkedElsewhere = try await store.blobLinks.isBlobLinked(digest(1), in: bob)
        let otherExists = try await store.manifests.repositoryExists(bob)
        let unlinked = try await store.blobLinks.unlinkBlob(digest(1), in: alice)
        let unlinkedAgain = try await store.blobLinks.unlinkBlob(digest(1), in: alice)
        let linkedAfter = try await store.blobLinks.isBlobLinked(digest(1), in: alice)

        #expect(!existedBefore && exists && !otherExists)
        #expect(linked && !linkedElsewhere)
        #expect(unlinked && !unlinkedAgain && !linkedAfter)
    }

    @Test(arguments: DatabaseBackend.databases) func repositoriesPageInLexicalOrder(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        for repository in ["c/x", "a/x", "b/y", "b/x"] {
            try await store.blobLinks.linkBlob(digest(1), size: 1, in: name(repository))
        }
        let first = try await store.manifests.repositories(after: nil, limit: 2)
        let second = try await store.manifests.repositories(after: name("b/x"), limit: 2)
        let past = try await store.manifests.repositories(after: name("c/x"), limit: 2)
        let empty = try await store.manifests.repositories(after: name("a"), limit: 0)

        #expect(first == [name("a/x"), name("b/x")])
        #expect(second == [name("b/y"), name("c/x")])
        #expect(past.isEmpty && empty.isEmpty)
    }

    @Test(arguments: DatabaseBackend.databases) func putManifestRecordsItsReferencesAndTags(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let repository = name("alice/app")
        let record = manifest(
            10, subject: digest(99), artifactType: "application/vnd.example+json", annotations: ["org.example": "yes"],
            blobs: [digest(2), digest(1), digest(2)], children: [digest(11), digest(12)]
        )
        try await store.manifests.putManifest(manifest(11), tags: [], in: repository, requiring: [])
        try await store.manifests.putManifest(manifest(12), tags: [], in: repository, requiring: [])
        try await store.manifests.putManifest(record, tags: ["v1", "latest"], in: repository, requiring: [])

        let byDigest = try await store.manifests.manifestHead(record.digest, in: repository)
        let byTag = try await store.manifests.manifestHead(tag: "v1", in: repository)
        let unknownTag = try await store.manifests.manifestHead(tag: "v2", in: repository)
        let elsewhere = try await store.manifests.manifestHead(record.digest, in: name("bob/app"))
        let referrers = try await store.manifests.referrers(of: digest(99), in: repository, artifactType: nil, after: nil, limit: 100, annotationBudget: .max).records
        let tags = try await store.manifests.tags(of: record.digest, in: repository)
        let linked = try await store.blobLinks.isBlobLinked(record.digest, in: repository)
        let referenced = try await store.collection.markedBlobs(linkedAfter: .max, deletedAfter: 0)

        #expect(byDigest == record.head && byTag == record.head)
        // The references and annotations are kept: the referrers API returns the whole record.
        #expect(referrers == [record])
        #expect(unknownTag == nil && elsewhere == nil)
        #expect(tags == ["latest", "v1"])
        #expect(linked)
        #expect(referenced == [record.digest, digest(1), digest(2), digest(11), digest(12)])
    }

    @Test(arguments: DatabaseBackend.databases) func putManifestIsIdempotentPerRepository(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let alice = name("alice/app"), bob = name("bob/app")
        let record = manifest(10, blobs: [digest(1)])
        var changed = record
        changed.mediaType = "application/vnd.docker.distribution.manifest.v2+json"
        changed.blobs = [digest(2)]

        try await store.manifests.putManifest(record, tags: ["v1"], in: alice, requiring: [])
        try await store.manifests.putManifest(changed, tags: ["v1", "v2"], in: alice, requiring: [])
        try await store.manifests.putManifest(changed, tags: [], in: bob, requiring: [])
        let inAlice = try await store.manifests.manifestHead(record.digest, in: alice)
        let inBob = try await store.manifests.manifestHead(record.digest, in: bob)
        let aliceTags = try await store.manifests.tags(in: alice, after: nil, limit: 10)
        let bobTags = try await store.manifests.tags(in: bob, after: nil, limit: 10)

        #expect(inAlice == record.head && inBob == changed.head)
        #expect(aliceTags == ["v1", "v2"] && bobTags.isEmpty)
    }

    @Test(arguments: DatabaseBackend.databases) func puttingATagMovesIt(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let repository = name("alice/app")
        let first = manifest(1), second = manifest(2)
        try await store.manifests.putManifest(first, tags: ["latest", "v1"], in: repository, requiring: [])
        try await store.manifests.putManifest(second, tags: ["latest"], in: repository, requiring: [])
        let latest = try await store.manifests.manifestHead(tag: "latest", in: repository)
        let firstTags = try await store.manifests.tags(of: first.digest, in: repository)
        let secondTags = try await store.manifests.tags(of: second.digest, in: repository)

        #expect(latest == second.head)
        #expect(firstTags == ["v1"] && secondTags == ["latest"])
    }

    @Test(arguments: DatabaseBackend.databases) func deletingAVersionHidesItButKeepsItsBlobsMarkedForTheRestoreWindow(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let repository = name("alice/app")
        let doomed = manifest(1, blobs: [digest(50)]), kept = manifest(2)
        try await store.manifests.putManifest(doomed, tags: ["v1", "v2"], in: repository, requiring: [])
        try await store.manifests.putManifest(kept, tags: ["v3"], in: repository, requiring: [])

        let deleted = try await store.packages.deleteVersion(doomed.digest, in: repository, now: 1000)
        let deletedAgain = try await store.packages.deleteVersion(doomed.digest, in: repository, now: 1000)
        let byDigest = try await store.manifests.manifestHead(doomed.digest, in: repository)
        let byTag = try await store.manifests.manifestHead(tag: "v1", in: repository)
        let tags = try await store.manifests.tags(in: repository, after: nil, limit: 10)
        let linked = try await store.blobLinks.isBlobLinked(doomed.digest, in: repository)
        let insideWindow = try await store.collection.markedBlobs(linkedAfter: .max, deletedAfter: 1000)
        let afterWindow = try await store.collection.markedBlobs(linkedAfter: .max, deletedAfter: 1001)

        #expect(deleted && !deletedAgain)
        #expect(byDigest == nil && byTag == nil)
        #expect(tags == ["v3"])
        #expect(!linked)
        #expect(insideWindow == [kept.digest, doomed.digest, digest(50)])
        #expect(afterWindow == [kept.digest])
    }

    @Test(arguments: DatabaseBackend.databases) func deletingATagKeepsTheManifest(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let repository = name("alice/app")
        let record = manifest(1)
        try await store.manifests.putManifest(record, tags: ["v1", "v2"], in: repository, requiring: [])

        let deleted = try await store.manifests.deleteTag("v1", in: repository)
        let deletedAgain = try await store.manifests.deleteTag("v1", in: repository)
        let deletedElsewhere = try await store.manifests.deleteTag("v2", in: name("bob/app"))
        let tags = try await store.manifests.tags(of: record.digest, in: repository)
        let kept = try await store.manifests.manifestHead(record.digest, in: repository)

        #expect(deleted && !deletedAgain && !deletedElsewhere)
        #expect(tags == ["v2"])
        #expect(kept == record.head)
    }

    @Test(arguments: DatabaseBackend.databases) func tagsPageInLexicalOrder(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let repository = name("alice/app")
        try await store.manifests.putManifest(manifest(1), tags: ["b", "a", "C", "a1", "c"], in: repository, requiring: [])

        var pages: [[String]] = []
        for after in [nil, "a", "b", "c"] {
            pages.append(try await store.manifests.tags(in: repository, after: after, limit: 2))
        }
        let elsewhere = try await store.manifests.tags(in: name("bob/app"), after: nil, limit: 2)

        #expect(pages == [["C", "a"], ["a1", "b"], ["c"], []])
        #expect(elsewhere.isEmpty)
    }

    @Test(arguments: DatabaseBackend.databases) func referrersAreFilteredBySubjectRepositoryAndArtifactType(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let repository = name("alice/app")
        let subject = digest(1)
        let sbom = manifest(
            2, subject: subject, artifactType: "application/spdx+json", annotations: ["created": "now"], created: 1
        )
        let signature = manifest(3, subject: subject, artifactType: "application/vnd.dev.sigstore", created: 2)
        try await store.manifests.putManifest(signature, tags: [], in: repository, requiring: [])
        try await store.manifests.putManifest(sbom, tags: [], in: repository, requiring: [])
        try await store.manifests.putManifest(manifest(4, subject: digest(5), artifactType: "application/spdx+json"), tags: [], in: repository, requiring: [])
        try await store.manifests.putManifest(manifest(6, subject: subject), tags: [], in: name("bob/app"), requiring: [])

        let all = try await store.manifests.referrers(of: subject, in: repository, artifactType: nil, after: nil, limit: 100, annotationBudget: .max).records
        let sboms = try await store.manifests.referrers(of: subject, in: repository, artifactType: "application/spdx+json", after: nil, limit: 100, annotationBudget: .max).records
        let none = try await store.manifests.referrers(of: subject, in: repository, artifactType: "text/plain", after: nil, limit: 100, annotationBudget: .max).records
        let unknown = try await store.manifests.referrers(of: digest(7), in: repository, artifactType: nil, after: nil, limit: 100, annotationBudget: .max).records

        #expect(all == [sbom, signature])
        #expect(sboms == [sbom])
        #expect(none.isEmpty && unknown.isEmpty)
    }

    /// An upload's row commits without an fsync of its own (`synchronous=NORMAL` for a batch of
    /// such writes only); durable writes before and after it still commit with FULL, and every
    /// one of them is in the database another connection opens.
    @Test func writesThatNeedNoFsyncInterleaveWithDurableOnes() async throws {
        let store = try database.openSQLite()
        let repository = name("alice/app")
        try await store.uploads.createUpload(id: "lazy-1", in: repository)
        try await store.blobLinks.linkBlob(digest(1), size: 1, in: repository)
        try await store.uploads.createUpload(id: "lazy-2", in: repository)
        let synchronous = try await store.sqlite.writes.write(durable: true) { db in
            try await db.firstRow("PRAGMA synchronous") { $0.integer(at: 0) }
        }
        try await store.blobLinks.linkBlob(digest(2), size: 2, in: repository)

        let other = try database.openSQLite()
        let uploads = try await other.uploads.uploads().map(\.id)
        let first = try await other.blobLinks.isBlobLinked(digest(1), in: repository)
        let second = try await other.blobLinks.isBlobLinked(digest(2), in: repository)

        #expect(synchronous == 2, "a durable write runs with synchronous=FULL (2)")
        #expect(uploads == ["lazy-1", "lazy-2"])
        #expect(first && second)
    }

    @Test(arguments: DatabaseBackend.databases) func uploadSessions(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        try await store.uploads.createUpload(id: "u1", in: name("alice/app"))
        try await store.uploads.createUpload(id: "u2", in: name("bob/app"))
        let duplicate = await outcome { try await store.uploads.createUpload(id: "u1", in: name("carol/app")) }
        let repository = try await store.uploads.uploadRepository(id: "u1")
        let unknown = try await store.uploads.uploadRepository(id: "u3")
        let listed = try await store.uploads.uploads().map { "\($0.id) \($0.repository)" }
        let repositoryExists = try await store.manifests.repositoryExists(name("alice/app"))

        let deleted = try await store.uploads.deleteUpload(id: "u1")
        let deletedAgain = try await store.uploads.deleteUpload(id: "u1")
        let afterDelete = try await store.uploads.uploadRepository(id: "u1")
        let remaining = try await store.uploads.uploads().map(\.id)

        #expect(isConstraint(duplicate))
        #expect(repository == name("alice/app") && unknown == nil)
        #expect(listed == ["u1 alice/app", "u2 bob/app"])
        // An upload in flight does not make a repository appear in the catalog.
        #expect(!repositoryExists)
        #expect(deleted && !deletedAgain && afterDelete == nil)
        #expect(remaining == ["u2"])
    }

    @Test func reopeningKeepsDataAndMigratesOnce() async throws {
        let record = manifest(1, blobs: [digest(2)])
        do {
            let store = try database.openSQLite()
            try await store.manifests.putManifest(record, tags: ["v1"], in: name("alice/app"), requiring: [])
        }
        let versionAfterCreate = try database.userVersion()
        // A second run of migration 1 would fail on CREATE TABLE, so opening again proves it was skipped.
        let store = try database.openSQLite()
        let versionAfterReopen = try database.userVersion()
        let found = try await store.manifests.manifestHead(tag: "v1", in: name("alice/app"))

        #expect(versionAfterCreate == SchemaMigrations.latestVersion && versionAfterReopen == versionAfterCreate)
        #expect(found == record.head)
    }

    @Test func refusesASchemaFromTheFuture() throws {
        _ = try database.openSQLite()
        try SQLiteConnection(path: database.path, readOnly: false).execute("PRAGMA user_version = 99")
        #expect(throws: MetadataError.schemaTooNew(version: 99, supported: SchemaMigrations.latestVersion)) {
            try database.openSQLite()
        }
    }

    @Test(arguments: DatabaseBackend.databases) func concurrentPutsAllLand(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let repository = name("alice/app")
        try await withThrowingTaskGroup { group in
            for index in 0..<100 {
                group.addTask { try await store.manifests.putManifest(manifest(index), tags: ["t\(index)"], in: repository, requiring: []) }
            }
            try await group.waitForAll()
        }
        var tagged: [Digest?] = []
        for index in 0..<100 {
            tagged.append(try await store.manifests.manifestHead(tag: "t\(index)", in: repository)?.digest)
        }
        #expect(tagged == (0..<100).map(digest))
    }

    /// Holds the writer busy so that 102 writes queue up, then checks they commit as one
    /// transaction in which the two that violate a constraint fail alone.
    @Test func groupCommitBatchesWritesAndFailsOnlyTheBadOnes() async throws {
        let store = try database.openSQLite()
        let repository = name("alice/app")
        try await store.uploads.createUpload(id: "taken", in: repository)
        let commitsBefore = store.sqlite.writer.commitCount

        let (entered, enteredContinuation) = AsyncStream<Void>.makeStream()
        let gate = DispatchSemaphore(value: 0)
        async let held: Void = store.sqlite.writes.write(durable: true) { _ in
            enteredContinuation.yield()
            gate.wait()
        }
        for await _ in entered { break }

        let badTag = manifest(1000)
        async let outcomes = withTaskGroup(of: (String, MetadataError?).self) { group in
            for index in 0..<100 {
                group.addTask {
                    await ("put \(index)", outcome { try await store.manifests.putManifest(manifest(index), tags: ["t\(index)"], in: repository, requiring: []) })
                }
            }
            group.addTask {
                await ("bad tag", outcome { try await store.manifests.putManifest(badTag, tags: ["ok", "not a tag!"], in: repository, requiring: []) })
            }
            group.addTask {
                await ("duplicate upload", outcome { try await store.uploads.createUpload(id: "taken", in: repository) })
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        while store.sqlite.writes.pendingCount < 102 {
            try await Task.sleep(for: .milliseconds(1))
        }
        gate.signal()
        try await held
        let failures = await outcomes.compactMapValues { $0 }
        let badManifest = try await store.manifests.manifestHead(badTag.digest, in: repository)
        let badTagTarget = try await store.manifests.manifestHead(tag: "ok", in: repository)
        let tags = try await store.manifests.tags(in: repository, after: nil, limit: 1000)

        #expect(store.sqlite.writer.commitCount == commitsBefore + 2)
        #expect(failures.keys.sorted() == ["bad tag", "duplicate upload"])
        #expect(failures.values.allSatisfy(isConstraint))
        #expect(badManifest == nil && badTagTarget == nil)
        #expect(tags.count == 100)
    }
}

private func outcome(_ body: () async throws -> Void) async -> MetadataError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? MetadataError ?? .database(code: -1, message: "unexpected \(error)")
    }
}

private func isConstraint(_ error: MetadataError?) -> Bool {
    if case .constraint = error { true } else { false }
}

private func name(_ text: String) -> RepositoryName {
    try! RepositoryName(parsing: text)
}

private func digest(_ number: Int) -> Digest {
    try! Digest(parsing: "sha256:" + String(format: "%064x", number))
}

private func manifest(
    _ number: Int, subject: Digest? = nil, artifactType: String? = nil, annotations: [String: String]? = nil,
    blobs: [Digest] = [], children: [Digest] = [], created: Int64 = 1_700_000_000
) -> ManifestRecord {
    ManifestRecord(
        digest: digest(number), mediaType: "application/vnd.oci.image.manifest.v1+json", size: UInt64(500 + number),
        artifactType: artifactType, subject: subject, annotations: annotations, blobs: blobs, children: children,
        created: created
    )
}

extension ManifestRecord {
    /// What a GET of this record would find.
    var head: ManifestHead { ManifestHead(digest: digest, mediaType: mediaType, size: size) }
}
