import Foundation

/// The token signing keys in the metadata database (migration 4), newest first by serial.
public struct SigningKeyStore: Sendable {
    let database: any Database

    public init(database: any Database) {
        self.database = database
    }

    /// The keys, creating one if there is none. A registry from before the keys moved into the
    /// database kept them in `legacyDirectory/signing-keys`: those are taken over, so that the
    /// tokens it issued stay valid across the upgrade. Of nodes starting at once on an empty
    /// table, one creates the key and the others read it (the write is serializable).
    public func load(importing legacyDirectory: String? = nil) async throws -> SigningKeys {
        if let keys = try await database.read(Self.keys) { return keys }
        let legacy = legacyDirectory.flatMap { try? String(contentsOfFile: $0 + "/signing-keys", encoding: .utf8) }
            .map { $0.split(separator: "\n").compactMap(SigningKeys.Key.init(line:)) } ?? []
        let created = legacy.isEmpty ? [SigningKeys.Key.generate()] : legacy
        return try await database.write { db in
            if let keys = try await Self.keys(db) { return keys }
            // The file lists the newest first; serials count up to the newest.
            for (index, key) in created.reversed().enumerated() {
                try await Self.insert(key, serial: Int64(index + 1), db)
            }
            return SigningKeys(keys: created)
        }
    }

    /// Adds a new signing key in front and keeps the previous one for verification; older keys
    /// are deleted, and tokens they signed no longer verify. Every node signs with the new key
    /// within `SigningKeyring.refreshInterval`, and verifies with it at once.
    @discardableResult
    public func rotate() async throws -> SigningKeys {
        let key = SigningKeys.Key.generate()
        return try await database.write { db in
            let newest = try await db.firstRow("SELECT CAST(coalesce(max(serial), 0) AS BIGINT) FROM signing_keys") { $0.integer(at: 0) } ?? 0
            try await Self.insert(key, serial: newest + 1, db)
            try await db.run("DELETE FROM signing_keys WHERE serial < ?", [.integer(newest)])
            return try await Self.keys(db) ?? SigningKeys(keys: [key])
        }
    }

    private static func keys(_ db: any DatabaseSession) async throws -> SigningKeys? {
        let keys = try await db.rows("SELECT id, secret FROM signing_keys ORDER BY serial DESC") { row in
            guard let bytes = Data(base64Encoded: row.text(at: 1)), bytes.count == 32 else {
                throw MetadataError.corruptValue("signing key \(row.text(at: 0))")
            }
            return SigningKeys.Key(id: row.text(at: 0), bytes: bytes)
        }
        return keys.isEmpty ? nil : SigningKeys(keys: keys)
    }

    private static func insert(_ key: SigningKeys.Key, serial: Int64, _ db: any DatabaseSession) async throws {
        try await db.run(
            "INSERT INTO signing_keys (id, serial, secret) VALUES (?, ?, ?)",
            [.text(key.id), .integer(serial), .text(key.bytes.base64EncodedString())])
    }
}
