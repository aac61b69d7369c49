/// The schema as numbered migrations, each in SQLite's words and PostgreSQL's: the same tables,
/// columns, keys and checks, so that the stores' statements run on both. SQLite records how many
/// have run in `PRAGMA user_version`, PostgreSQL in the table `stowage_schema`.
///
/// Append migrations, never edit one that has shipped: a database at version N skips 1...N.
/// docs/FORMAT.md ("Metadata database") describes the result.
enum SchemaMigrations {
    private static let now = "(CAST(strftime('%s', 'now') AS INTEGER))"

    static let sqlite: [String] = [
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
        // 2: users and organisations (one owner namespace), memberships, personal access tokens,
        // package visibility.
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE CHECK (\(ownerName("name"))),
            admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
            disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
            created INTEGER NOT NULL DEFAULT \(now)
        );
        CREATE TABLE organisations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE CHECK (\(ownerName("name"))),
            created INTEGER NOT NULL DEFAULT \(now)
        );
        CREATE TRIGGER users_share_owner_names BEFORE INSERT ON users
        WHEN EXISTS (SELECT 1 FROM organisations WHERE name = NEW.name)
        BEGIN SELECT RAISE(ABORT, 'owner name taken by an organisation'); END;
        CREATE TRIGGER organisations_share_owner_names BEFORE INSERT ON organisations
        WHEN EXISTS (SELECT 1 FROM users WHERE name = NEW.name)
        BEGIN SELECT RAISE(ABORT, 'owner name taken by a user'); END;
        CREATE TRIGGER users_keep_names BEFORE UPDATE OF name ON users
        BEGIN SELECT RAISE(ABORT, 'user names do not change'); END;
        CREATE TRIGGER organisations_keep_names BEFORE UPDATE OF name ON organisations
        BEGIN SELECT RAISE(ABORT, 'organisation names do not change'); END;
        CREATE TABLE memberships (
            organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('read', 'write', 'admin')),
            PRIMARY KEY (organisation_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX memberships_by_user ON memberships(user_id);
        CREATE TABLE tokens (
            id TEXT PRIMARY KEY CHECK (length(id) = 12 AND id NOT GLOB '*[^0-9a-f]*'),
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            secret_sha256 TEXT NOT NULL CHECK (length(secret_sha256) = 64 AND secret_sha256 NOT GLOB '*[^0-9a-f]*'),
            scopes TEXT NOT NULL CHECK (scopes != ''),
            description TEXT NOT NULL DEFAULT '',
            created INTEGER NOT NULL DEFAULT \(now),
            expires INTEGER,
            last_used INTEGER,
            revoked INTEGER
        ) WITHOUT ROWID;
        CREATE INDEX tokens_by_user ON tokens(user_id, created);
        CREATE TABLE package_visibility (
            repository TEXT PRIMARY KEY,
            public INTEGER NOT NULL CHECK (public IN (0, 1)),
            updated INTEGER NOT NULL DEFAULT \(now)
        ) WITHOUT ROWID;
        """,
        // 3: deleted packages and versions kept for their restore window, retention policies,
        // platforms of each manifest, and garbage collection's condemned blobs.
        """
        CREATE TABLE deletions (
            id INTEGER PRIMARY KEY,
            repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('package', 'version')),
            name TEXT NOT NULL,
            digest TEXT CHECK ((kind = 'version') = (digest IS NOT NULL)),
            deleted INTEGER NOT NULL
        );
        CREATE INDEX deletions_by_time ON deletions(deleted);
        CREATE INDEX deletions_by_repository ON deletions(repository_id);
        ALTER TABLE repositories ADD COLUMN deletion_id INTEGER REFERENCES deletions(id);
        ALTER TABLE manifests ADD COLUMN deletion_id INTEGER REFERENCES deletions(id);
        ALTER TABLE manifests ADD COLUMN platforms TEXT NOT NULL DEFAULT '';
        CREATE INDEX manifests_by_deletion ON manifests(deletion_id) WHERE deletion_id IS NOT NULL;
        CREATE INDEX manifest_children_by_digest ON manifest_children(digest);
        CREATE INDEX manifest_blobs_by_digest ON manifest_blobs(digest);
        CREATE INDEX manifests_by_digest ON manifests(digest);
        CREATE INDEX blob_links_by_digest ON blob_links(digest);
        CREATE TABLE deleted_tags (
            deletion_id INTEGER NOT NULL REFERENCES deletions(id) ON DELETE CASCADE,
            manifest_id INTEGER NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            PRIMARY KEY (deletion_id, name)
        ) WITHOUT ROWID;
        CREATE TABLE retention_policies (
            scope TEXT PRIMARY KEY,
            untagged_days INTEGER CHECK (untagged_days >= 0),
            keep_last INTEGER CHECK (keep_last >= 1),
            updated INTEGER NOT NULL DEFAULT \(now)
        ) WITHOUT ROWID;
        CREATE TABLE condemned_blobs (
            digest TEXT PRIMARY KEY,
            condemned INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
        // 4: the keys that sign registry tokens, in the database so that every node of a
        // cluster signs and verifies with the same ones; newest (highest serial) signs.
        """
        CREATE TABLE signing_keys (
            id TEXT PRIMARY KEY CHECK (length(id) = 12 AND id NOT GLOB '*[^0-9a-f]*'),
            serial INTEGER NOT NULL UNIQUE,
            secret TEXT NOT NULL CHECK (secret != ''),
            created INTEGER NOT NULL DEFAULT \(now)
        ) WITHOUT ROWID;
        """,
        // 5: a condemned blob being swept, and since when: touches on other nodes wait for the
        // sweep rather than revive a blob whose links are gone and whose bytes are going.
        """
        ALTER TABLE condemned_blobs ADD COLUMN sweeping INTEGER;
        """,
        // 6: the object store's index and upload state (cluster mode, on PostgreSQL; empty on a
        // node whose blobs are in its own packs). docs/FORMAT.md, "Cluster store".
        """
        CREATE TABLE object_blobs (
            digest TEXT PRIMARY KEY,
            size INTEGER NOT NULL CHECK (size >= 0),
            object TEXT,
            inline BLOB,
            checksums BLOB NOT NULL,
            created INTEGER NOT NULL DEFAULT \(now),
            CHECK ((object IS NULL) != (inline IS NULL))
        ) WITHOUT ROWID;
        CREATE TABLE object_uploads (
            id TEXT PRIMARY KEY,
            algorithm TEXT NOT NULL,
            created INTEGER NOT NULL,
            received INTEGER NOT NULL CHECK (received >= 0),
            hash_state BLOB NOT NULL,
            object TEXT NOT NULL,
            multipart TEXT,
            parts TEXT NOT NULL,
            checksums BLOB NOT NULL,
            tail BLOB NOT NULL
        ) WITHOUT ROWID;
        """,
        // 7: manifest pulls by UTC day (each node adds its counts every few seconds), the
        // versions of a package by time for the pages, and garbage collection's recent runs.
        """
        CREATE TABLE pull_counts (
            manifest_id INTEGER NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
            repository_id INTEGER NOT NULL,
            day INTEGER NOT NULL CHECK (day >= 0),
            count INTEGER NOT NULL CHECK (count >= 0),
            PRIMARY KEY (manifest_id, day)
        ) WITHOUT ROWID;
        CREATE INDEX pull_counts_by_repository ON pull_counts(repository_id);
        CREATE INDEX manifests_by_created ON manifests(repository_id, created, id);
        CREATE TABLE collection_runs (
            id INTEGER PRIMARY KEY,
            started INTEGER NOT NULL,
            milliseconds INTEGER NOT NULL,
            failure TEXT,
            purged INTEGER NOT NULL,
            retained INTEGER NOT NULL,
            condemned_blobs INTEGER NOT NULL,
            deleted_blobs INTEGER NOT NULL,
            deleted_bytes INTEGER NOT NULL,
            bytes_freed INTEGER NOT NULL
        );
        """,
    ]

    /// A CHECK on an owner name: lowercase letters, digits and separators, starting with a
    /// letter or digit, 1 to 64 characters. `AccountName` checks the full grammar before writing.
    private static func ownerName(_ column: String) -> String {
        "length(\(column)) BETWEEN 1 AND 64 AND \(column) GLOB '[a-z0-9]*' AND \(column) NOT GLOB '*[^a-z0-9._-]*'"
    }

    static var latestVersion: Int { sqlite.count }

    /// Refuses a database at another schema than this build's, for readers that may not migrate.
    static func requireLatest(version: Int) throws(MetadataError) {
        if version > latestVersion { throw .schemaTooNew(version: version, supported: latestVersion) }
        if version < latestVersion { throw .schemaTooOld(version: version, supported: latestVersion) }
    }

    /// Brings the database to `latestVersion` in one transaction, so that a crash or a failing
    /// migration leaves it at its old version, and two processes opening it cannot both migrate.
    static func migrate(_ connection: SQLiteConnection) throws(MetadataError) {
        try connection.execute("BEGIN IMMEDIATE")
        do throws(MetadataError) {
            let version = Int(try connection.integer("PRAGMA user_version") ?? 0)
            guard version <= latestVersion else { throw .schemaTooNew(version: version, supported: latestVersion) }
            for migration in sqlite[version...] {
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
