import BlobStore

/// `object_blobs`: which blobs the cluster store holds and where.
struct ObjectBlobIndex: Sendable {
    let database: any Database

    func lookup(_ digest: Digest) async throws -> ObjectBlobRow? {
        try await database.read { db in
            try await db.firstRow(
                "SELECT size, object, inline, checksums FROM object_blobs WHERE digest = ?", [.digest(digest)]
            ) { row in
                ObjectBlobRow(
                    digest: digest, size: UInt64(row.integer(at: 0)), object: row.optionalText(at: 1), inline: row.optionalBytes(at: 2),
                    checksums: try BlockChecksums(encoded: row.optionalBytes(at: 3) ?? []))
            }
        }
    }

    /// Records the blob and forgets the upload that wrote it (if any), in one transaction.
    /// Returns false if the blob was there already: the caller's copy is surplus.
    func insert(_ row: ObjectBlobRow, finishing upload: String?) async throws -> Bool {
        try await database.write { db in
            let inserted = try await db.run(
                "INSERT INTO object_blobs (digest, size, object, inline, checksums) VALUES (?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
                [.digest(row.digest), .size(row.size), .optionalText(row.object), row.inline.map { .bytes($0) } ?? .null,
                 .bytes(row.checksums.encoded)])
            if let upload { try await db.run("DELETE FROM object_uploads WHERE id = ?", [.text(upload)]) }
            return inserted == 1
        }
    }

    /// A row without its bytes, for fsck.
    struct Entry: Sendable {
        let digest: Digest
        let size: UInt64
        let object: String?
    }

    func entries() async throws -> [Entry] {
        try await database.scan { db in
            try await db.rows("SELECT digest, size, object FROM object_blobs ORDER BY digest") { row in
                Entry(digest: try row.digest(at: 0), size: UInt64(row.integer(at: 1)), object: row.optionalText(at: 2))
            }
        }
    }

    func all() async throws -> [BlobInfo] {
        try await database.scan { db in
            try await db.rows("SELECT digest, size FROM object_blobs ORDER BY digest") { row in
                BlobInfo(digest: try row.digest(at: 0), size: UInt64(row.integer(at: 1)))
            }
        }
    }

    /// Deletes the rows; returns those there were, with their objects' keys.
    func delete(_ digests: [Digest]) async throws -> [(digest: Digest, size: UInt64, object: String?)] {
        try await database.write { db in
            var deleted: [(digest: Digest, size: UInt64, object: String?)] = []
            for chunk in MetadataRows.chunks(digests) {
                deleted += try await db.rows(
                    "DELETE FROM object_blobs WHERE digest IN (\(MetadataRows.placeholders(chunk.count))) RETURNING digest, size, object",
                    chunk.map { .digest($0) }
                ) { row in (try row.digest(at: 0), UInt64(row.integer(at: 1)), row.optionalText(at: 2)) }
            }
            return deleted
        }
    }
}
