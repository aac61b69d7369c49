import Hummingbird

/// The site administrator's page: storage used, in all and by owner, garbage collection's recent
/// runs, and a run on demand, previewed first by a dry run if wanted. The same rules as
/// `POST /api/v1/gc`: site administrators only, and a real run needs a delete token.
struct AdministrationPage: Sendable {
    let registry: RegistryService

    private struct View {
        struct Owner {
            let owner: String
            let bytes: String
        }

        struct Run {
            let started: String
            let took: String
            let result: String
        }

        struct Preview {
            struct Reclaim {
                let package: String
                let blobs: Int
                let bytes: String
            }

            let lines: [String]
            let reclaimable: [Reclaim]
        }

        let storedText: String
        let owners: [Owner]
        let runs: [Run]
        let preview: Preview?
        let csrf: String
    }

    func show(_ page: PageRequest) async throws -> Response {
        try await render(page, preview: nil)
    }

    /// `mode=preview` shows what a run would do; `mode=run` runs one and reports it on the list.
    func collect(_ page: PageRequest) async throws -> Response {
        try requireAdministrator(page)
        guard page.field("mode") == "run" else {
            return try await render(page, preview: try await registry.collector.run(dryRun: true))
        }
        guard page.viewer.holds(.deletePackages) else {
            throw RegistryError(.forbidden, .denied, "Garbage collection needs a session signed in with a delete:packages token.")
        }
        _ = try await registry.collector.run()
        return PageRenderer.redirect(to: "/-/admin?notice=collected")
    }

    private func render(_ page: PageRequest, preview report: CollectionReport?) async throws -> Response {
        try requireAdministrator(page)
        let blobs = try await registry.store.allBlobs()
        let stored = blobs.reduce(UInt64(0)) { $0 + $1.size }
        let onDisk = try await registry.store.fileBytes()
        let owners = try await registry.metadata.catalog.bytesByOwner()
        let runs = try await registry.metadata.collection.recentRuns(limit: 10)
        let view = View(
            storedText: "\(PageFormat.count(blobs.count, "blob")) stored, \(PageFormat.bytes(stored)) (each blob once, however many packages link it); "
                + (onDisk.map { "\(PageFormat.bytes($0)) on disk in the data directory." } ?? "in the object store's bucket."),
            owners: owners.map { View.Owner(owner: $0.owner, bytes: PageFormat.bytes($0.bytes)) },
            runs: runs.map { run in
                View.Run(
                    started: PageFormat.date(run.started), took: String(format: "%.1f s", Double(run.milliseconds) / 1000),
                    result: run.failure.map { "Failed: \($0)" } ?? Self.summary(
                        purged: run.purged, retained: run.retained, condemned: run.condemnedBlobs, deleted: run.deletedBlobs,
                        freed: run.bytesFreed + run.deletedBytes))
            },
            preview: report.map { report in
                View.Preview(
                    lines: [
                        Self.summary(
                            purged: report.purged.count, retained: report.retained.count, condemned: report.condemnedBlobs,
                            deleted: report.deletedBlobs, freed: report.deletedBytes),
                        "\(PageFormat.count(report.markedBlobs, "blob")) of \(report.blobs) are in use (\(PageFormat.bytes(report.markedBytes))).",
                    ],
                    reclaimable: report.reclaimable.map { .init(package: $0.package, blobs: $0.blobs, bytes: PageFormat.bytes($0.bytes)) })
            },
            csrf: page.viewer.csrf)
        return page.render("admin", title: "Administration", page: view)
    }

    private static func summary(purged: Int, retained: Int, condemned: Int, deleted: Int, freed: UInt64) -> String {
        "\(PageFormat.count(purged, "deletion")) purged, \(PageFormat.count(retained, "version")) deleted by retention, "
            + "\(PageFormat.count(condemned, "blob")) condemned, \(PageFormat.count(deleted, "blob")) removed (\(PageFormat.bytes(freed)) freed)"
    }

    /// Site administrators only; anyone else is told there is no such page.
    private func requireAdministrator(_ page: PageRequest) throws {
        try page.requireSignedIn()
        guard page.viewer.isAdmin else { throw RegistryError(.notFound, .unsupported, "there is no page at /-/admin") }
    }
}
