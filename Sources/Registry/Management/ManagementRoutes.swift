import BlobStore
import Foundation
import HTTPTypes
import Hummingbird

/// The JSON management API under `/api/v1/`: packages and versions (list, delete, restore),
/// retention policies, and garbage collection on demand. Authenticated like the registry: who
/// may pull a package sees it, who may delete it deletes and restores it; only a site
/// administrator runs garbage collection.
struct ManagementRoutes {
    let registry: RegistryService
    /// nil when authentication is off.
    let authenticator: Authenticator?

    func respond(_ request: Request, _ path: ManagementPath, address: String) async throws -> Response {
        let caller = try await authenticator?.caller(request, address: address)
        let query = request.uri.queryParameters
        let deleted = query.get("deleted") == "true"
        let packages = registry.metadata.packages
        let window = registry.options.collection.restoreWindow
        switch (path, request.method) {
        case (.packages, .get):
            var visible: [PackageSummary] = []
            for package in try await packages.packages(owner: query.get("owner").map { String($0) }, deleted: deleted)
            where try await may(deleted ? .delete : .pull, on: RepositoryName(parsing: package.name), caller) {
                visible.append(package)
            }
            return try JSONResponse.make(visible)
        case (.package(let name), .delete):
            try await require(.delete, on: name, caller, request)
            try await packages.deletePackage(name, now: UnixTime.now())
            return Response(status: .noContent)
        case (.packageRestore(let name), .post):
            try await require(.delete, on: name, caller, request)
            try await packages.restorePackage(name, now: UnixTime.now(), window: window)
            return Response(status: .noContent)
        case (.versions(let name), .get):
            try await require(deleted ? .delete : .pull, on: name, caller, request)
            return try JSONResponse.make(try await packages.versions(of: name, deleted: deleted))
        case (.version(let name, let digest), .delete):
            try await require(.delete, on: name, caller, request)
            guard try await packages.deleteVersion(digest, in: name, now: UnixTime.now()) else {
                throw PackageError.versionUnknown(digest.description)
            }
            return Response(status: .noContent)
        case (.versionRestore(let name, let digest), .post):
            try await require(.delete, on: name, caller, request)
            try await packages.restoreVersion(digest, in: name, now: UnixTime.now(), window: window)
            return Response(status: .noContent)
        case (.retention, .get):
            var visible: [RetentionPolicy] = []
            for policy in try await packages.retentionPolicies() where try await may(.delete, on: Self.policyTarget(policy.scope), caller) {
                visible.append(policy)
            }
            return try JSONResponse.make(visible)
        case (.retentionScope(let scope), .put), (.retentionScope(let scope), .delete):
            try await require(.delete, on: Self.policyTarget(scope), caller, request)
            var policy = RetentionPolicy(scope: scope)
            if request.method == .put {
                let body = try await request.body.collect(upTo: 64 * 1024)
                do {
                    let rules = try JSONDecoder().decode(Rules.self, from: Data(buffer: body))
                    (policy.untaggedDays, policy.keepLast) = (rules.untaggedDays, rules.keepLast)
                } catch {
                    throw PackageError.invalidPolicy("the body must be {\"untaggedDays\": N, \"keepLast\": N}: \(error)")
                }
            }
            try await packages.setRetentionPolicy(policy)
            return Response(status: .noContent)
        case (.collection, .post):
            // A run purges deletions and applies retention: destructive, so it takes a delete
            // token; a dry run only reports.
            let dryRun = query.get("dry_run") == "true"
            if let authenticator, let caller {
                try await authenticator.requireAdministrator(
                    caller, scope: dryRun ? nil : .deletePackages, for: "run garbage collection", request: request)
            }
            return try JSONResponse.make(try await registry.collector.run(dryRun: dryRun))
        default:
            throw RegistryError(.methodNotAllowed, .unsupported, "\(request.method) is not supported on \(request.uri.path)")
        }
    }

    private struct Rules: Decodable {
        var untaggedDays: Int?
        var keepLast: Int?
    }

    /// The repository whose rights govern a policy: the package itself, or for an owner any
    /// package of it (rights over an owner's packages depend on the owner alone).
    private static func policyTarget(_ scope: String) throws -> RepositoryName {
        try RepositoryName(parsing: scope.contains("/") ? scope : scope + "/any")
    }

    private func may(_ action: RepositoryAction, on name: RepositoryName, _ caller: Authenticator.Caller?) async throws -> Bool {
        guard let authenticator, let caller else { return true }
        return try await authenticator.allowedActions(caller, on: name).contains(action)
    }

    private func require(_ action: RepositoryAction, on name: RepositoryName, _ caller: Authenticator.Caller?, _ request: Request) async throws {
        guard let authenticator, let caller else { return }
        try await authenticator.require([action], on: name, caller: caller, request: request)
    }
}
