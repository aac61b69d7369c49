import BlobStore

/// The queries of the references check (stowage-fsck): one snapshot of every reference, and the
/// removal of references that point at nothing. Deleted packages and versions are checked too,
/// since they can be restored; a deleted package appears under its row's name, `~<id>`.
public struct IntegrityStore: Sendable {
    let database: any Database

    public init(database: any Database) {
        self.database = database
    }

    func referenceSnapshot() async throws -> ReferenceSnapshot {
        try await database.scan { db in
            var snapshot = ReferenceSnapshot()
            snapshot.repositories = try await db.rows("SELECT name FROM repositories ORDER BY name") { row in row.text(at: 0) }
            snapshot.links = try await db.rows(
                "SELECT r.name, l.digest FROM blob_links l JOIN repositories r ON r.id = l.repository_id ORDER BY r.name, l.digest"
            ) { row in ReferenceSnapshot.Link(repository: row.text(at: 0), digest: row.text(at: 1)) }
            snapshot.manifests = try await db.rows(
                """
                SELECT m.id, r.name, m.digest, m.media_type, m.subject, m.deletion_id IS NOT NULL OR r.deletion_id IS NOT NULL
                FROM manifests m JOIN repositories r ON r.id = m.repository_id ORDER BY r.name, m.digest
                """
            ) { row in
                ReferenceSnapshot.Manifest(
                    id: row.integer(at: 0), repository: row.text(at: 1), digest: row.text(at: 2), mediaType: row.text(at: 3),
                    subject: row.optionalText(at: 4), deleted: row.integer(at: 5) != 0)
            }
            snapshot.tags = try await db.rows(
                "SELECT r.name, t.name, t.manifest_id FROM tags t JOIN repositories r ON r.id = t.repository_id ORDER BY r.name, t.name"
            ) { row in
                ReferenceSnapshot.Tag(repository: row.text(at: 0), name: row.text(at: 1), manifestID: row.integer(at: 2))
            }
            return snapshot
        }
    }

    /// Deletes, in one transaction, blob links, manifests (their tags and references go with
    /// them) and tags; returns how many rows of each went.
    func removeReferences(links: [ReferenceSnapshot.Link], manifestIDs: [Int64], tags: [ReferenceSnapshot.Tag]) async throws
        -> (links: Int, manifests: Int, tags: Int)
    {
        try await database.write { db in
            let repository = "SELECT id FROM repositories WHERE name = ?"
            var counts = (links: 0, manifests: 0, tags: 0)
            for link in links {
                counts.links += try await db.run(
                    "DELETE FROM blob_links WHERE repository_id = (\(repository)) AND digest = ?",
                    [.text(link.repository), .text(link.digest)])
            }
            for id in manifestIDs {
                counts.manifests += try await db.run("DELETE FROM manifests WHERE id = ?", [.integer(id)])
            }
            for tag in tags {
                counts.tags += try await db.run(
                    "DELETE FROM tags WHERE repository_id = (\(repository)) AND name = ?", [.text(tag.repository), .text(tag.name)])
            }
            return counts
        }
    }
}
