import BlobStore

/// `object_uploads`: the cluster store's uploads in progress.
struct ObjectUploadStore: Sendable {
    let database: any Database

    func create(_ state: ObjectUploadState) async throws {
        try await database.write { db in
            try await db.run(
                """
                INSERT INTO object_uploads (id, algorithm, created, received, hash_state, object, multipart, parts, checksums, tail)
                VALUES (?, ?, ?, ?, ?, ?, NULL, '', ?, ?)
                """,
                [.text(state.id), .text(state.algorithm.rawValue), .size(state.created), .size(state.received), .bytes(state.hashState),
                 .text(state.object), .bytes([]), .bytes([])])
        }
    }

    func load(_ id: String) async throws -> ObjectUploadState? {
        try await database.read { db in
            try await db.firstRow(
                "SELECT algorithm, created, received, hash_state, multipart, parts, checksums, tail FROM object_uploads WHERE id = ?",
                [.text(id)]
            ) { row in
                guard let algorithm = DigestAlgorithm(rawValue: row.text(at: 0)) else {
                    throw MetadataError.corruptValue("object_uploads.algorithm '\(row.text(at: 0))'")
                }
                return ObjectUploadState(
                    id: id, algorithm: algorithm, created: UInt64(row.integer(at: 1)), received: UInt64(row.integer(at: 2)),
                    hashState: row.optionalBytes(at: 3) ?? [], multipart: row.optionalText(at: 4),
                    parts: try ObjectUploadState.decodeParts(row.text(at: 5)),
                    checksums: try BlockChecksums(encoded: row.optionalBytes(at: 6) ?? []), tail: row.optionalBytes(at: 7) ?? [])
            }
        }
    }

    /// Records a request's progress, if the upload still stands where the request found it;
    /// returns false if another request moved it on (or ended it) meanwhile.
    func save(_ state: ObjectUploadState, from received: UInt64) async throws -> Bool {
        try await database.write { db in
            try await db.run(
                """
                UPDATE object_uploads SET received = ?, hash_state = ?, multipart = ?, parts = ?, checksums = ?, tail = ?
                WHERE id = ? AND received = ?
                """,
                [.size(state.received), .bytes(state.hashState), .optionalText(state.multipart), .text(state.encodedParts),
                 .bytes(state.checksums.encoded), .bytes(state.tail), .text(state.id), .size(received)]) == 1
        }
    }

    func delete(_ id: String) async throws {
        try await database.write { db in
            try await db.run("DELETE FROM object_uploads WHERE id = ?", [.text(id)])
        }
    }

    func sessions() async throws -> [(id: String, created: UInt64)] {
        try await database.scan { db in
            try await db.rows("SELECT id, created FROM object_uploads") { (id: $0.text(at: 0), created: UInt64($0.integer(at: 1))) }
        }
    }

    /// The keys uploads in progress will write: objects there may be a finish under way.
    func objectKeys() async throws -> Set<String> {
        try await database.scan { db in
            Set(try await db.rows("SELECT object FROM object_uploads") { $0.text(at: 0) })
        }
    }

    /// The multipart uploads the rows name: collection aborts the others once they are old.
    func multipartIDs() async throws -> Set<String> {
        try await database.scan { db in
            Set(try await db.rows("SELECT multipart FROM object_uploads WHERE multipart IS NOT NULL") { $0.text(at: 0) })
        }
    }
}
