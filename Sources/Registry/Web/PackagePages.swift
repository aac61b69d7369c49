import BlobStore
import Hummingbird

/// The package pages: listings, a package, a version, settings, and deleting and restoring. What
/// a viewer may see or do is what the API lets them: a package they may not pull is not found,
/// as on GitHub.
struct PackagePages: Sendable {
    let registry: RegistryService
    static let pageSize = 30

    private var catalog: PackageCatalog { registry.metadata.catalog }
    private var window: Int64 { registry.options.collection.restoreWindow }

    // MARK: Listing

    private struct ListView {
        struct Row {
            let name: String
            let isPublic: Bool
            let visibility: String
            let versions: String
            let size: String
            let published: String
            let pulls: String
        }

        let heading: String
        let owner: String?
        let organisation: Bool
        let query: String
        let countText: String
        let packages: [Row]
        let pager: Pager?
    }

    /// Packages the viewer may pull, of one owner (`?owner=`) or all, filtered by name (`?q=`).
    func list(_ page: PageRequest) async throws -> Response {
        let owner = page.query("owner").map { $0.lowercased() }.flatMap { $0.isEmpty ? nil : $0 }
        let filter = Substring(page.query("q") ?? "").trimmingWhitespace.lowercased()
        let mayPull = try await page.viewer.policy(for: .pull)
        let entries = try await catalog.entries(owner: owner).filter {
            mayPull($0.name, $0.isPublic) && (filter.isEmpty || $0.name.contains(filter))
        }
        let pager = Pager(total: entries.count, number: page.pageNumber, size: Self.pageSize) {
            PageRequest.link("/-/packages", [("owner", owner), ("q", filter.isEmpty ? nil : filter), ("page", String($0))])
        }
        let shown = entries.dropFirst(pager.offset).prefix(Self.pageSize)
        let visibility = Dictionary(shown.map { ($0.name, $0.isPublic) }, uniquingKeysWith: { first, _ in first })
        let rows = try await catalog.summaries(shown.map(\.name)).map { summary in
            let isPublic = visibility[summary.name] ?? false
            return ListView.Row(
                name: summary.name, isPublic: isPublic, visibility: isPublic ? "Public" : "Private",
                versions: PageFormat.count(summary.versions, "version"), size: PageFormat.bytes(summary.size),
                published: summary.published.map { "Published " + PageFormat.relative($0, now: page.now) } ?? "No versions",
                pulls: PageFormat.count(summary.pulls, "pull"))
        }
        let isOrganisation = try await owner.asyncMap { try await registry.metadata.accounts.organisation(named: $0) != nil } ?? false
        let view = ListView(
            heading: owner.map { "Packages of \($0)" } ?? "Packages", owner: owner, organisation: isOrganisation, query: filter,
            countText: PageFormat.count(entries.count, "package"), packages: rows, pager: pager.shown)
        return page.render("packages", title: view.heading, page: view)
    }

    // MARK: A package

    private struct PackageView {
        struct Version {
            let name: String
            let digest: String
            let shortDigest: String
            let tags: [String]
            let size: String
            let pushed: String
            let platforms: String?
            let artifactType: String?
            let pulls: String
        }

        struct Filter {
            let label: String
            let href: String
            let current: Bool
        }

        let name: String
        let owner: String
        let isPublic: Bool
        let visibility: String
        let description: String?
        let source: String?
        /// The source as a link, when it is an http(s) URL (never `javascript:` or the like).
        let sourceLink: String?
        let pullCommand: String
        let recentTags: [(name: String, tag: String, digest: String)]
        let filters: [Filter]
        let versions: [Version]
        let pager: Pager?
        let size: String
        let versionCount: Int
        let pulls: Int64
        let published: String
        let mayManage: Bool
    }

    func package(_ name: RepositoryName, _ page: PageRequest) async throws -> Response {
        let actions = try await page.viewer.actions(on: name)
        guard actions.contains(.pull) else { throw Self.unknown(name) }
        let filter = page.query("filter")
        let tagged: Bool? = filter == "tagged" ? true : filter == "untagged" ? false : nil
        // The reads do not depend on one another: on PostgreSQL they go out on connections of
        // their own at once. The page asked for is read before the count says it exists; one
        // past the end is read again as the last.
        let asked = (page.pageNumber - 1) * Self.pageSize
        async let overviewRead = catalog.overview(name)
        async let versionsRead = catalog.versions(of: name, tagged: tagged, offset: asked, limit: Self.pageSize)
        async let recentRead = catalog.recentTags(name, limit: 10)
        async let latestRead = registry.metadata.manifests.manifestHead(tag: "latest", in: name)
        guard let overview = try await overviewRead else { throw Self.unknown(name) }
        let summary = overview.summary
        let total = tagged.map { $0 ? summary.taggedVersions : summary.versions - summary.taggedVersions } ?? summary.versions
        let base = "/-/packages/\(name)"
        let pager = Pager(total: total, number: page.pageNumber, size: Self.pageSize) {
            PageRequest.link(base, [("filter", filter.flatMap { ["tagged", "untagged"].contains($0) ? $0 : nil }), ("page", String($0))])
        }
        let versions = pager.offset == asked
            ? try await versionsRead : try await catalog.versions(of: name, tagged: tagged, offset: pager.offset, limit: Self.pageSize)
        let newest = tagged == nil && pager.offset == 0
            ? versions.first : try await catalog.versions(of: name, tagged: nil, offset: 0, limit: 1).first
        let about = await newest.asyncMap { await ImageDetails.about($0, registry: registry) }
        let recent = try await recentRead
        // `latest` if there is one, as docker pulls it by default; else the newest version's tag.
        let hasLatest = try await latestRead != nil
        let pullTag = hasLatest ? ":latest" : recent.first.map { ":" + $0.tag } ?? newest.map { "@" + $0.digest } ?? ""
        let source = about?.source
        let filters = [("All", nil as String?, summary.versions), ("Tagged", "tagged", summary.taggedVersions),
                       ("Untagged", "untagged", summary.versions - summary.taggedVersions)].map { label, value, count in
            PackageView.Filter(
                label: "\(label) (\(count))", href: PageRequest.link(base, [("filter", value)]), current: value == filter)
        }
        let view = PackageView(
            name: name.description, owner: String(name.owner), isPublic: overview.isPublic,
            visibility: overview.isPublic ? "Public" : "Private", description: about?.description, source: source,
            sourceLink: source.flatMap { $0.lowercased().hasPrefix("https://") || $0.lowercased().hasPrefix("http://") ? $0 : nil },
            pullCommand: "docker pull \(page.host)/\(name)\(pullTag)",
            recentTags: recent.map { (name: name.description, tag: $0.tag, digest: $0.digest) },
            filters: filters, versions: versions.map { Self.row($0, of: name, now: page.now) }, pager: pager.shown,
            size: PageFormat.bytes(summary.size), versionCount: summary.versions, pulls: summary.pulls,
            published: summary.published.map { PageFormat.relative($0, now: page.now) } ?? "never",
            mayManage: actions.contains(.delete))
        return page.render("package", title: name.description, page: view)
    }

    private static func row(_ version: PackageVersion, of name: RepositoryName, now: Int64) -> PackageView.Version {
        PackageView.Version(
            name: name.description, digest: version.digest, shortDigest: PageFormat.shortDigest(version.digest), tags: version.tags,
            size: PageFormat.bytes(version.size), pushed: "Pushed " + PageFormat.relative(version.created, now: now),
            platforms: version.platforms.isEmpty ? nil : version.platforms.joined(separator: ", "),
            artifactType: shownArtifactType(version.artifactType), pulls: PageFormat.count(version.pulls, "pull"))
    }

    /// An artifact type worth showing: not the config type every plain image reports.
    static func shownArtifactType(_ type: String?) -> String? {
        guard let type, !ManifestMediaTypes.imageConfigs.contains(type) else { return nil }
        return type
    }

    // MARK: A version

    private struct VersionView {
        struct Platform {
            let name: String
            let platform: String
            let digest: String
            let shortDigest: String
            let size: String
        }

        struct Layer {
            let position: Int
            let shortDigest: String
            let mediaType: String
            let size: String
        }

        struct Referrer {
            let name: String
            let artifactType: String
            let digest: String
            let shortDigest: String
            let pushed: String
        }

        let name: String
        let digest: String
        let tags: [String]
        let pullCommand: String
        let details: [(key: String, value: String)]
        let platforms: [Platform]
        let labels: [(key: String, value: String)]
        let layers: [Layer]
        let referrers: [Referrer]
        let mayDelete: Bool
        let csrf: String
        let restoreWindow: String
    }

    func version(_ name: RepositoryName, _ digest: Digest, _ page: PageRequest) async throws -> Response {
        let actions = try await page.viewer.actions(on: name)
        guard actions.contains(.pull) else { throw Self.unknown(name) }
        guard let version = try await catalog.version(digest, of: name) else { throw PackageError.versionUnknown(digest.description) }
        let details = try await ImageDetails.load(digest, mediaType: version.mediaType, registry: registry)
        var facts: [(String, String?)] = [
            ("Media type", version.mediaType), ("Artifact type", Self.shownArtifactType(version.artifactType)), ("Size", PageFormat.bytes(version.size)),
            ("Pushed", PageFormat.date(version.created)), ("Pulls", String(version.pulls)),
            ("Platform", version.platforms.isEmpty ? nil : version.platforms.joined(separator: ", ")),
            ("Subject", version.subject),
        ]
        if let config = details.config {
            facts += [
                ("Created", config.created), ("Entrypoint", config.config?.Entrypoint.map(Self.command)),
                ("Command", config.config?.Cmd.map(Self.command)), ("Working directory", config.config?.WorkingDir),
                ("User", config.config?.User.flatMap { $0.isEmpty ? nil : $0 }),
            ]
        }
        let referrers = try await registry.metadata.manifests.referrers(
            of: digest, in: name, artifactType: nil, after: nil, limit: 100, annotationBudget: 1 << 20
        ).records
        let view = VersionView(
            name: name.description, digest: digest.description, tags: version.tags,
            pullCommand: "docker pull \(page.host)/\(name)@\(digest)",
            details: facts.compactMap { key, value in value.map { (key: key, value: $0) } },
            platforms: details.manifest.manifests.map {
                VersionView.Platform(
                    name: name.description, platform: $0.platform?.description ?? "unknown", digest: $0.digest.description,
                    shortDigest: PageFormat.shortDigest($0.digest.description), size: PageFormat.bytes(UInt64(max($0.size, 0))))
            },
            labels: details.labels,
            layers: details.manifest.layers.enumerated().map { index, layer in
                VersionView.Layer(
                    position: index + 1, shortDigest: PageFormat.shortDigest(layer.digest.description), mediaType: layer.mediaType,
                    size: PageFormat.bytes(UInt64(max(layer.size, 0))))
            },
            referrers: referrers.map {
                VersionView.Referrer(
                    name: name.description, artifactType: $0.artifactType ?? $0.mediaType, digest: $0.digest.description,
                    shortDigest: PageFormat.shortDigest($0.digest.description), pushed: PageFormat.relative($0.created, now: page.now))
            },
            mayDelete: actions.contains(.delete), csrf: page.viewer.csrf, restoreWindow: PageFormat.duration(window))
        return page.render("version", title: "\(name)@\(PageFormat.shortDigest(digest.description))", page: view)
    }

    /// `["/bin/sh", "-c", "x"]` as a shell would read it.
    private static func command(_ arguments: [String]) -> String {
        arguments.map { $0.contains(" ") || $0.isEmpty ? "\"\($0)\"" : $0 }.joined(separator: " ")
    }

    // MARK: Settings, deleting, restoring

    private struct SettingsView {
        let name: String
        let isPublic: Bool
        let csrf: String
        let restoreWindow: String
    }

    func settings(_ name: RepositoryName, _ page: PageRequest) async throws -> Response {
        try await requireDelete(name, page)
        let isPublic = try await registry.metadata.accounts.isPublic(name)
        let view = SettingsView(name: name.description, isPublic: isPublic, csrf: page.viewer.csrf, restoreWindow: PageFormat.duration(window))
        return page.render("settings", title: "Settings of \(name)", page: view)
    }

    func setVisibility(_ name: RepositoryName, _ page: PageRequest) async throws -> Response {
        try await requireDelete(name, page)
        guard let choice = page.field("visibility"), ["public", "private"].contains(choice) else {
            throw RegistryError(.badRequest, .unsupported, "Choose public or private.")
        }
        try await registry.metadata.accounts.setVisibility(repository: name, public: choice == "public")
        return PageRenderer.redirect(to: "/-/packages/\(name)/-/settings?notice=visibility")
    }

    func deletePackage(_ name: RepositoryName, _ page: PageRequest) async throws -> Response {
        try await requireDelete(name, page)
        guard page.field("confirm") == name.description else {
            throw RegistryError(.badRequest, .unsupported, "Type the package's name, \(name), to confirm the deletion.")
        }
        try await registry.metadata.packages.deletePackage(name, now: UnixTime.now())
        return PageRenderer.redirect(to: PageRequest.link("/-/deleted", [("owner", String(name.owner)), ("notice", "package-deleted")]))
    }

    func deleteVersion(_ name: RepositoryName, _ digest: Digest, _ page: PageRequest) async throws -> Response {
        try await requireDelete(name, page)
        guard try await registry.metadata.packages.deleteVersion(digest, in: name, now: UnixTime.now()) else {
            throw PackageError.versionUnknown(digest.description)
        }
        return PageRenderer.redirect(to: "/-/packages/\(name)?notice=version-deleted")
    }

    private struct DeletedView {
        struct Row {
            let package: String
            let digest: String?
            let shortDigest: String
            let deleted: String
            let restorable: Bool
            let reason: String?
            let csrf: String
        }

        let owner: String?
        let restoreWindow: String
        let deletions: [Row]
    }

    /// Deleted packages and versions the viewer may restore, of one owner or all.
    func deleted(_ page: PageRequest) async throws -> Response {
        try page.requireSignedIn()
        let owner = page.query("owner").map { $0.lowercased() }.flatMap { $0.isEmpty ? nil : $0 }
        let mayDelete = try await page.viewer.policy(for: .delete)
        let rows = try await catalog.deletions(owner: owner).filter { mayDelete($0.package, false) }.map { deletion in
            let reason: String? =
                if deletion.deleted < page.now - window { "The restore window has passed; garbage collection removes it." }
                else if deletion.nameReused { "A new package has taken its name since: it cannot be restored." }
                else if let tag = deletion.reusedTag { "Its tag \(tag) names another version since: it cannot be restored." }
                else { nil }
            return DeletedView.Row(
                package: deletion.package, digest: deletion.digest, shortDigest: deletion.digest.map(PageFormat.shortDigest) ?? "",
                deleted: "Deleted " + PageFormat.relative(deletion.deleted, now: page.now)
                    + (reason == nil ? ", restorable until \(PageFormat.date(deletion.deleted + window))" : ""),
                restorable: reason == nil, reason: reason,
                csrf: page.viewer.csrf)
        }
        let view = DeletedView(owner: owner, restoreWindow: PageFormat.duration(window), deletions: rows)
        return page.render("deleted", title: "Deleted packages", page: view)
    }

    func restore(_ page: PageRequest) async throws -> Response {
        let name = try RepositoryName(parsing: page.field("package") ?? "")
        try page.requireSignedIn()
        let mayDelete = try await page.viewer.policy(for: .delete)
        guard mayDelete(name.description, false) else { throw PackageError.packageUnknown(name.description) }
        if let digest = page.field("digest") {
            try await registry.metadata.packages.restoreVersion(try Digest(parsing: digest), in: name, now: UnixTime.now(), window: window)
        } else {
            try await registry.metadata.packages.restorePackage(name, now: UnixTime.now(), window: window)
        }
        return PageRenderer.redirect(to: "/-/packages/\(name)?notice=restored")
    }

    /// Refuses unless the viewer may delete the package: not found for whom may not even pull it,
    /// sign in for an anonymous visitor, not allowed for a token or role that falls short.
    private func requireDelete(_ name: RepositoryName, _ page: PageRequest) async throws {
        let actions = try await page.viewer.actions(on: name)
        guard actions.contains(.pull), try await registry.metadata.manifests.repositoryExists(name) else { throw Self.unknown(name) }
        guard actions.contains(.delete) else {
            try page.requireSignedIn()
            throw RegistryError(
                .forbidden, .denied,
                page.viewer.holds(.deletePackages)
                    ? "Only the owner of \(name), administrators of its organisation and site administrators may change it."
                    : "You signed in with a token without the delete:packages scope; sign in with one that has it to change \(name).")
        }
    }

    private static func unknown(_ name: RepositoryName) -> PackageError { .packageUnknown(name.description) }
}
