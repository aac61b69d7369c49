import ArgumentParser
import BlobStore
import Registry

/// `stowage package list|versions|delete|restore|retention|visibility`: the same operations as the
/// management API, on the metadata database alone.
struct PackageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package",
        abstract: "Manage packages: list, delete, restore, retention (works while the server runs).",
        subcommands: [List.self, Versions.self, Delete.self, Restore.self, Retention.self, Visibility.self]
    )

    enum Setting: String, ExpressibleByArgument, CaseIterable {
        case `public`, `private`
    }

    struct Visibility: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set whether a package is public (anonymous pull) or private (the default)."
        )

        @OptionGroup var data: DataDirectoryOption
        @Argument(help: "Repository name, e.g. alice/app.")
        var name: String
        @Argument(help: "public or private; without it, prints the current visibility.")
        var visibility: Setting?

        func run() async throws {
            try await administer("package visibility") {
                let repository = try RepositoryName(parsing: name)
                let accounts = try await data.openMetadata()
                if let visibility {
                    try await accounts.accounts.setVisibility(repository: repository, public: visibility == .public)
                    print("\(repository) is \(visibility.rawValue)")
                } else {
                    print(try await accounts.accounts.isPublic(repository) ? "public" : "private")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List packages, or the deleted ones still restorable.")

        @OptionGroup var data: DataDirectoryOption
        @Option(help: "Only this owner's packages.")
        var owner: String?
        @Flag(help: "List deleted packages.")
        var deleted = false
        @Flag(help: "JSON output.")
        var json = false

        func run() async throws {
            try await administer("package list") {
                let packages = try await data.openMetadata().packages.packages(owner: owner, deleted: deleted)
                try AdminOutput.print(packages, json: json, header: ["NAME", "VERSIONS", "TAGS", "SIZE", deleted ? "DELETED" : "CREATED"]) {
                    [$0.name, String($0.versions), String($0.tags), String($0.size), AdminOutput.date($0.deleted ?? $0.created)]
                }
            }
        }
    }

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a package's versions, newest first.")

        @OptionGroup var data: DataDirectoryOption
        @Argument(help: "Package name, e.g. octo-org/app/web.")
        var name: String
        @Flag(help: "List deleted versions.")
        var deleted = false
        @Flag(help: "JSON output.")
        var json = false

        func run() async throws {
            try await administer("package versions") {
                let versions = try await data.openMetadata().packages.versions(of: try RepositoryName(parsing: name), deleted: deleted)
                try AdminOutput.print(versions, json: json, header: ["DIGEST", "TAGS", "SIZE", deleted ? "DELETED" : "CREATED", "PLATFORMS"]) {
                    [$0.digest, $0.tags.joined(separator: ","), String($0.size), AdminOutput.date($0.deleted ?? $0.created),
                     $0.platforms.joined(separator: ",")]
                }
            }
        }
    }

    /// What `delete` and `restore` act on: a package, or one version of it.
    struct Target: ParsableArguments {
        @OptionGroup var data: DataDirectoryOption
        @Argument(help: "Package name.")
        var name: String
        @Option(help: "The version's digest; without it, the whole package.")
        var version: String?

        /// Runs `onVersion` or `onPackage` on the metadata and prints "`verb` NAME[@DIGEST]".
        func act(
            _ verb: String, onVersion: (Metadata, Digest, RepositoryName) async throws -> Void,
            onPackage: (Metadata, RepositoryName) async throws -> Void
        ) async throws {
            try await administer("package \(verb == "deleted" ? "delete" : "restore")") {
                let package = try RepositoryName(parsing: name)
                let store = try await data.openMetadata()
                if let version {
                    try await onVersion(store, try Digest(parsing: version), package)
                    print("\(verb) \(package)@\(version)")
                } else {
                    try await onPackage(store, package)
                    print("\(verb) \(package)")
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a package, or one version of it; either can be restored within the restore window.")

        @OptionGroup var target: Target

        func run() async throws {
            try await target.act("deleted") { store, digest, package in
                guard try await store.packages.deleteVersion(digest, in: package, now: UnixTime.now()) else {
                    throw PackageError.versionUnknown(digest.description)
                }
            } onPackage: { store, package in
                try await store.packages.deletePackage(package, now: UnixTime.now())
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a deleted package, or a deleted version, unless the name or a tag was reused since.")

        @OptionGroup var target: Target

        func run() async throws {
            let window = try ServeSetting.configuration(file: nil).registry.collection.restoreWindow
            try await target.act("restored") { store, digest, package in
                try await store.packages.restoreVersion(digest, in: package, now: UnixTime.now(), window: window)
            } onPackage: { store, package in
                try await store.packages.restorePackage(package, now: UnixTime.now(), window: window)
            }
        }
    }

    struct Retention: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show, set or remove the retention policy of an owner or a package; garbage collection applies it.")

        @OptionGroup var data: DataDirectoryOption
        @Argument(help: "An owner (octo-org) or a package (octo-org/app/web); without it, lists every policy.")
        var scope: String?
        @Option(name: .customLong("untagged-days"), help: "Delete untagged versions older than this many days.")
        var untaggedDays: Int?
        @Option(name: .customLong("keep-last"), help: "Keep only the newest this many versions.")
        var keepLast: Int?
        @Flag(help: "Remove the scope's policy.")
        var remove = false

        func run() async throws {
            try await administer("package retention") {
                let store = try await data.openMetadata()
                if let scope, remove || untaggedDays != nil || keepLast != nil {
                    let policy = RetentionPolicy(scope: scope, untaggedDays: remove ? nil : untaggedDays, keepLast: remove ? nil : keepLast)
                    try await store.packages.setRetentionPolicy(policy)
                }
                let policies = try await store.packages.retentionPolicies().filter { scope == nil || $0.scope == scope }
                try AdminOutput.print(policies, json: false, header: ["SCOPE", "UNTAGGED DAYS", "KEEP LAST"]) {
                    [$0.scope, $0.untaggedDays.map(String.init) ?? "-", $0.keepLast.map(String.init) ?? "-"]
                }
            }
        }
    }
}
