import BlobStore
import Dispatch

/// Garbage collection's queries over the tables of migrations 1 and 3 (docs/FORMAT.md).
extension SQLiteMetadataStore: CollectionMetadata {
    public func purgeDeletions(before cutoff: Int64, dryRun: Bool) async throws -> [PurgedDeletion] {
        let body: @Sendable (SQLiteConnection) throws -> [PurgedDeletion] = { db in
            let expired = try db.rows(
                "SELECT id, kind, name, digest, deleted, repository_id FROM deletions WHERE deleted < ? ORDER BY id",
                [.integer(cutoff)]
            ) { row throws(MetadataError) in
                (id: row.integer(at: 0), isPackage: row.text(at: 1) == "package", repositoryID: row.integer(at: 5),
                 purged: PurgedDeletion(package: row.text(at: 2), digest: row.optionalText(at: 3), deleted: row.integer(at: 4)))
            }
            if !dryRun {
                for deletion in expired {
                    // A package takes everything in it along (ON DELETE CASCADE), its version
                    // deletions included; a version takes its manifests' references and tags.
                    if deletion.isPackage {
                        try db.run("DELETE FROM repositories WHERE id = ?", [.integer(deletion.repositoryID)])
                    } else {
                        try db.run("DELETE FROM manifests WHERE deletion_id = ?", [.integer(deletion.id)])
                        try db.run("DELETE FROM deletions WHERE id = ?", [.integer(deletion.id)])
                    }
                }
            }
            return expired.map(\.purged)
        }
        return dryRun ? try await scanner.read(body) : try await writer.write(body)
    }

    public func markedBlobs(linkedAfter: Int64, deletedAfter: Int64) async throws -> Set<Digest> {
        try await scanner.read { db in
            var marked = Set<Digest>()
            try db.forEachRow(
                """
                WITH kept(id, digest) AS (
                    SELECT m.id, m.digest FROM manifests m JOIN repositories r ON r.id = m.repository_id
                    LEFT JOIN deletions d ON d.id = m.deletion_id LEFT JOIN deletions p ON p.id = r.deletion_id
                    WHERE coalesce(d.deleted, ?1) >= ?1 AND coalesce(p.deleted, ?1) >= ?1
                )
                SELECT digest FROM kept
                UNION SELECT mb.digest FROM manifest_blobs mb JOIN kept ON kept.id = mb.manifest_id
                UNION SELECT mc.digest FROM manifest_children mc JOIN kept ON kept.id = mc.manifest_id
                UNION SELECT digest FROM blob_links WHERE created >= ?2
                """, [.integer(deletedAfter), .integer(linkedAfter)]
            ) { row throws(MetadataError) in marked.insert(try row.digest(at: 0)) }
            return marked
        }
    }

    public func condemnedBlobs() async throws -> [Digest: Int64] {
        try await scanner.read { db in
            var condemned: [Digest: Int64] = [:]
            try db.forEachRow("SELECT digest, condemned FROM condemned_blobs") { row throws(MetadataError) in
                condemned[try row.digest(at: 0)] = row.integer(at: 1)
            }
            return condemned
        }
    }

    public func condemn(_ digests: [Digest], at time: Int64) async throws {
        try await writer.write { db in
            for digest in digests {
                try db.run(
                    "INSERT INTO condemned_blobs (digest, condemned) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    [.digest(digest), .integer(time)])
            }
        }
    }

    public func revive(_ digests: [Digest]) async throws {
        try await writer.write { db in try Self.revive(digests, db) }
    }

    public func sweep(_ digests: [Digest], condemnedBefore: Int64, linkedAfter: Int64) async throws -> [Digest] {
        try await writer.write { db in
            var swept: [Digest] = []
            for digest in digests {
                guard try db.run(
                    "DELETE FROM condemned_blobs WHERE digest = ? AND condemned < ?", [.digest(digest), .integer(condemnedBefore)]
                ) == 1 else { continue }
                let marked = try db.firstRow(
                    """
                    SELECT EXISTS (SELECT 1 FROM manifests WHERE digest = ?1)
                        OR EXISTS (SELECT 1 FROM manifest_blobs WHERE digest = ?1)
                        OR EXISTS (SELECT 1 FROM manifest_children WHERE digest = ?1)
                        OR EXISTS (SELECT 1 FROM blob_links WHERE digest = ?1 AND created >= ?2)
                    """, [.digest(digest), .integer(linkedAfter)]) { $0.integer(at: 0) != 0 } ?? true
                guard !marked else { continue }
                try db.run("DELETE FROM blob_links WHERE digest = ?", [.digest(digest)])
                swept.append(digest)
            }
            return swept
        }
    }

    public func linkingPackages() async throws -> [Digest: [String]] {
        try await scanner.read { db in
            var packages: [Digest: [String]] = [:]
            try db.forEachRow(
                "SELECT b.digest, r.name, d.name FROM blob_links b JOIN repositories r ON r.id = b.repository_id LEFT JOIN deletions d ON d.id = r.deletion_id"
            ) { row throws(MetadataError) in
                packages[try row.digest(at: 0), default: []].append(row.optionalText(at: 2) ?? row.text(at: 1))
            }
            return packages
        }
    }

    /// Once a quarter of the database is free pages, cuts them off (`incremental_vacuum`; a
    /// database created before auto_vacuum was set keeps them for reuse); then checkpoints the
    /// write-ahead log and truncates it. SQLite reuses both but shrinks neither by itself, so a
    /// run that deleted many rows would otherwise leave them at their largest. The threshold
    /// keeps the vacuum, which holds the write lock while it moves pages, for runs that freed
    /// much: small ones leave pages that the next writes reuse anyway. A connection of its own,
    /// because the writer's statements all run inside transactions.
    public func shrinkDatabase() async throws {
        let path = self.path
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let connection = try SQLiteConnection(path: path, readOnly: false)
                    try connection.execute("PRAGMA busy_timeout = 5000")
                    let count = { (pragma: String) throws -> Int64 in
                        try connection.firstRow("PRAGMA \(pragma)") { row throws(MetadataError) in row.integer(at: 0) } ?? 0
                    }
                    let free = try count("freelist_count")
                    if free >= 256, free * 4 >= (try count("page_count")) {
                        try connection.execute("PRAGMA incremental_vacuum")
                    }
                    try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                })
            }
        }
    }

    public func yieldToRequests() async {
        guard writer.pendingCount > 0 else { return }
        // Queued behind the writes waiting now, a write that does nothing returns once they
        // have committed.
        _ = try? await writer.write(durable: false) { _ in }
        // Then a few milliseconds for a gap in the load, so that under a steady one most
        // transactions still carry no collection batch.
        for _ in 0..<5 where writer.pendingCount > 0 {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Takes the digests off the condemned list: something touched them.
    static func revive(_ digests: [Digest], _ db: SQLiteConnection) throws(MetadataError) {
        for digest in digests {
            try db.run("DELETE FROM condemned_blobs WHERE digest = ?", [.digest(digest)])
        }
    }
}
