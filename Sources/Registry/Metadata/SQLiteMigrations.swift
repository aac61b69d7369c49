/// The schema as numbered migrations; `PRAGMA user_version` records how many have run.
///
/// Append migrations, never edit one that has shipped: a database at version N skips 1...N.
/// docs/FORMAT.md ("Metadata database") describes the result.
enum SQLiteMigrations {
    private static let now = "(CAST(strftime('%s', 'now') AS INTEGER))"

    static let all: [String] = [
        // 1: repositories, blob links, manifests with their references, tags, upload sessions.
        """
        CREATE TABLE repositories (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created INTEGER NOT NULL DEFAULT \(now)
        );
        CREATE TABLE blob_links (
            repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
            digest TEXT NOT NULL,
            size INTEGER NOT NULL CHECK (size >= 0),
            created INTEGER NOT NULL DEFAULT \(now),
            PRIMARY KEY (repository_id, digest)
        ) WITHOUT ROWID;
        CREATE TABLE manifests (
            id INTEGER PRIMARY KEY,
            repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
            digest TEXT NOT NULL,
            media_type TEXT NOT NULL,
            size INTEGER NOT NULL CHECK (size >= 0),
            artifact_type TEXT,
            subject TEXT,
            created INTEGER NOT NULL,
            UNIQUE (repository_id, digest)
        );
        CREATE INDEX manifests_by_subject ON manifests(repository_id, subject) WHERE subject IS NOT NULL;
        CREATE TABLE manifest_blobs (
            manifest_id INTEGER NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            digest TEXT NOT NULL,
            PRIMARY KEY (manifest_id, position)
        ) WITHOUT ROWID;
        CREATE TABLE manifest_children (
            manifest_id INTEGER NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            digest TEXT NOT NULL,
            PRIMARY KEY (manifest_id, position)
        ) WITHOUT ROWID;
        CREATE TABLE manifest_annotations (
            manifest_id INTEGER NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (manifest_id, key)
        ) WITHOUT ROWID;
        CREATE TABLE tags (
            repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
            name TEXT NOT NULL CHECK (
                length(name) BETWEEN 1 AND 128 AND name GLOB '[A-Za-z0-9_]*' AND name NOT GLOB '*[^A-Za-z0-9_.-]*'
            ),
            manifest_id INTEGER NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
            updated INTEGER NOT NULL DEFAULT \(now),
            PRIMARY KEY (repository_id, name)
        ) WITHOUT ROWID;
        CREATE INDEX tags_by_manifest ON tags(manifest_id);
        CREATE TABLE uploads (
            id TEXT PRIMARY KEY,
            repository TEXT NOT NULL,
            created INTEGER NOT NULL DEFAULT \(now)
        ) WITHOUT ROWID;
        """,
    ]

    static var latestVersion: Int { all.count }

    /// Brings the database to `latestVersion` in one transaction, so that a crash or a failing
    /// migration leaves it at its old version, and two processes opening it cannot both migrate.
    static func migrate(_ connection: SQLiteConnection) throws(MetadataError) {
        try connection.execute("BEGIN IMMEDIATE")
        do throws(MetadataError) {
            let version = try connection.firstRow("PRAGMA user_version") { Int($0.integer(at: 0)) } ?? 0
            guard version <= latestVersion else { throw .schemaTooNew(version: version, supported: latestVersion) }
            for migration in all[version...] {
                try connection.execute(migration)
            }
            try connection.execute("PRAGMA user_version = \(latestVersion)")
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }
}
