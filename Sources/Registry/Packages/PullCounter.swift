import BlobStore
import Logging
import Synchronization

/// Manifest pulls, counted in memory and added to `pull_counts` every few seconds: a GET costs a
/// lock and a dictionary update, never a write transaction (docs/FORMAT.md, "Metadata
/// database"). A node that dies loses the counts since its last flush; nothing else.
public final class PullCounter: Sendable {
    struct Key: Hashable {
        let repository: String
        let digest: Digest
        /// UTC days since 1970-01-01.
        let day: Int64
    }

    let database: any Database
    private let pending = Mutex<[Key: Int64]>([:])

    init(database: any Database) {
        self.database = database
    }

    /// Counts one pull of the manifest `digest` of `repository`.
    func record(_ digest: Digest, in repository: RepositoryName, now: Int64 = UnixTime.now()) {
        let key = Key(repository: repository.description, digest: digest, day: now / 86_400)
        pending.withLock { $0[key, default: 0] += 1 }
    }

    /// Adds the counts so far to the database in one transaction; on failure they are kept for
    /// the next flush. Counts of a manifest deleted meanwhile are dropped (the SELECT finds no row).
    public func flush() async throws {
        let counts = pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !counts.isEmpty else { return }
        do {
            try await database.write(durable: false) { db in
                for (key, count) in counts.sorted(by: { ($0.key.repository, $0.key.digest) < ($1.key.repository, $1.key.digest) }) {
                    try await db.run(
                        """
                        INSERT INTO pull_counts (manifest_id, repository_id, day, count)
                        SELECT m.id, m.repository_id, ?, ? FROM manifests m JOIN repositories r ON r.id = m.repository_id
                        WHERE r.name = ? AND m.digest = ?
                        ON CONFLICT (manifest_id, day) DO UPDATE SET count = pull_counts.count + excluded.count
                        """, [.integer(key.day), .integer(count), .text(key.repository), .digest(key.digest)])
                }
            }
        } catch {
            pending.withLock { pending in
                for (key, count) in counts { pending[key, default: 0] += count }
            }
            throw error
        }
    }

    /// Flushes every `interval` until cancelled, and once more then.
    func schedule(every interval: Duration, logger: Logger) async {
        while (try? await Task.sleep(for: interval)) != nil {
            do { try await flush() } catch { logger.warning("pull counts not written yet", metadata: ["error": "\(error)"]) }
        }
        do { try await flush() } catch { logger.warning("pull counts lost at shutdown", metadata: ["error": "\(error)"]) }
    }
}
