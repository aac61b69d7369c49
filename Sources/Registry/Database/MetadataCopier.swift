/// Copies a registry's whole metadata from one database to another, row for row with the same
/// ids: `stowage metadata copy`, the one-shot move of a single-node registry from SQLite to the
/// PostgreSQL a cluster shares (or back). Both are migrated to this build's schema first; the
/// target must hold nothing yet, and is written in one transaction, so a copy that fails
/// leaves it empty.
public struct MetadataCopier: Sendable {
    /// Every table of the schema with its columns, parents before children. A repository and a
    /// deletion name each other; repositories are copied without their deletion first, and
    /// given it once the deletions are in.
    public static let tables: [(name: String, columns: [String])] = [
        ("repositories", ["id", "name", "created", "deletion_id"]),
        ("deletions", ["id", "repository_id", "kind", "name", "digest", "deleted"]),
        ("blob_links", ["repository_id", "digest", "size", "created"]),
        ("manifests", ["id", "repository_id", "digest", "media_type", "size", "artifact_type", "subject", "created", "deletion_id", "platforms"]),
        ("manifest_blobs", ["manifest_id", "position", "digest"]),
        ("manifest_children", ["manifest_id", "position", "digest"]),
        ("manifest_annotations", ["manifest_id", "key", "value"]),
        ("tags", ["repository_id", "name", "manifest_id", "updated"]),
        ("deleted_tags", ["deletion_id", "manifest_id", "name"]),
        ("uploads", ["id", "repository", "created"]),
        ("users", ["id", "name", "admin", "disabled", "created"]),
        ("organisations", ["id", "name", "created"]),
        ("memberships", ["organisation_id", "user_id", "role"]),
        ("tokens", ["id", "user_id", "secret_sha256", "scopes", "description", "created", "expires", "last_used", "revoked"]),
        ("package_visibility", ["repository", "public", "updated"]),
        ("retention_policies", ["scope", "untagged_days", "keep_last", "updated"]),
        ("condemned_blobs", ["digest", "condemned"]),
        ("signing_keys", ["id", "serial", "secret", "created"]),
    ]

    /// Tables whose `id` is an identity column PostgreSQL numbers itself.
    static let identities = ["repositories", "deletions", "manifests", "users", "organisations"]

    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    let source: any Database
    let target: any Database

    public init(from source: any Database, to target: any Database) {
        self.source = source
        self.target = target
    }

    /// Rows copied per table.
    @discardableResult
    public func copy() async throws -> [String: Int] {
        let occupied = try await target.scan { db in
            var counts: [String] = []
            for table in Self.tables {
                let count = try await db.firstRow("SELECT count(*) FROM \(table.name)") { $0.integer(at: 0) } ?? 0
                if count > 0 { counts.append("\(count) \(table.name)") }
            }
            return counts
        }
        guard occupied.isEmpty else {
            throw Refusal(description: "the target already holds metadata (\(occupied.joined(separator: ", "))); copy only into an empty database")
        }
        let rows = try await source.scan { db in
            var rows: [String: [[DatabaseValue]]] = [:]
            for table in Self.tables {
                let width = Int32(table.columns.count)
                rows[table.name] = try await db.rows("SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name)") { row in
                    (0..<width).map { row.value(at: $0) }
                }
            }
            return rows
        }
        let dialect = target.dialect
        try await target.write { db in
            for table in Self.tables {
                let insert = "INSERT INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES (\(table.columns.map { _ in "?" }.joined(separator: ", ")))"
                for var row in rows[table.name] ?? [] {
                    // A repository's deletion is not in yet: it is given once the deletions are.
                    if table.name == "repositories" { row[3] = .null }
                    try await db.run(insert, row)
                }
                if table.name == "deletions" {
                    for row in rows["repositories"] ?? [] where row[3] != .null {
                        try await db.run("UPDATE repositories SET deletion_id = ? WHERE id = ?", [row[3], row[0]])
                    }
                }
            }
            if dialect == .postgres {
                // Rows came with their ids: the identities go on from the highest.
                for table in Self.identities {
                    try await db.run(
                        "SELECT setval(pg_get_serial_sequence('\(table)', 'id'), CAST(coalesce(max(id), 0) + 1 AS BIGINT), false) FROM \(table)")
                }
            }
        }
        return rows.mapValues(\.count)
    }
}
