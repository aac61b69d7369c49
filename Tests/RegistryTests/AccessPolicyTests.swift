@testable import Registry
import Testing

@Suite("Access policy")
struct AccessPolicyTests {
    private static let all = Set(Scope.allCases)
    private static let alicesApp = repository("alice/app")
    private static let acmesApp = repository("acme/team/app")

    // MARK: Anonymous

    @Test(arguments: RepositoryAction.allCases, [false, true])
    func anonymousMayOnlyPullPublicPackages(action: RepositoryAction, isPublic: Bool) {
        let allowed = AccessPolicy.allows(action, on: Self.alicesApp, isPublic: isPublic, caller: nil)
        #expect(allowed == (action == .pull && isPublic))
    }

    @Test(arguments: scopeSubsets)
    func anyoneMayPullAPublicPackageWhateverTheScopes(scopes: Set<Scope>) {
        let stranger = AccessPolicy.Caller(name: "mallory", scopes: scopes)
        #expect(AccessPolicy.allows(.pull, on: Self.alicesApp, isPublic: true, caller: stranger))
    }

    // MARK: Owner

    @Test(arguments: RepositoryAction.allCases, [false, true])
    func theOwnerMayDoEverythingInTheirNamespace(action: RepositoryAction, isPublic: Bool) {
        let alice = AccessPolicy.Caller(name: "alice", scopes: Self.all)
        #expect(AccessPolicy.allows(action, on: Self.alicesApp, isPublic: isPublic, caller: alice))
        #expect(AccessPolicy.allows(action, on: repository("alice/deeply/nested/app"), isPublic: isPublic, caller: alice))
    }

    @Test(arguments: ["alice2/app", "bob/alice", "ali/app", "alice-org/app"])
    func ownershipIsTheWholeFirstComponent(name: String) {
        let alice = AccessPolicy.Caller(name: "alice", scopes: Self.all)
        #expect(AccessPolicy.allowedActions(on: repository(name), isPublic: false, caller: alice).isEmpty)
        #expect(AccessPolicy.allowedActions(on: repository(name), isPublic: true, caller: alice) == [.pull])
    }

    // MARK: Scopes

    /// Each action needs its scope; write and delete imply read; even the owner and a site admin
    /// are bound by the token's scopes.
    @Test(arguments: scopeSubsets)
    func theTokenScopesBoundEveryCaller(scopes: Set<Scope>) {
        var expected: Set<RepositoryAction> = []
        if !scopes.isEmpty { expected.insert(.pull) }
        if scopes.contains(.writePackages) { expected.insert(.push) }
        if scopes.contains(.deletePackages) { expected.insert(.delete) }
        for caller in [
            AccessPolicy.Caller(name: "alice", scopes: scopes),
            AccessPolicy.Caller(name: "root", isSiteAdmin: true, scopes: scopes),
            AccessPolicy.Caller(name: "bob", scopes: scopes, role: .admin),
        ] {
            let repository = caller.name == "bob" ? Self.acmesApp : Self.alicesApp
            #expect(AccessPolicy.allowedActions(on: repository, isPublic: false, caller: caller) == expected)
        }
    }

    @Test func requiredScopes() {
        #expect(AccessPolicy.requiredScope(for: .pull) == .readPackages)
        #expect(AccessPolicy.requiredScope(for: .push) == .writePackages)
        #expect(AccessPolicy.requiredScope(for: .delete) == .deletePackages)
        #expect(Scope.effective([.writePackages]) == [.readPackages, .writePackages])
        #expect(Scope.effective([.deletePackages]) == [.readPackages, .deletePackages])
        #expect(Scope.effective([.readPackages]) == [.readPackages])
        #expect(Scope.effective([]).isEmpty)
    }

    // MARK: Organisations

    @Test(arguments: OrganisationRole.allCases, [false, true])
    func organisationRolesGrantPullPushDeleteInOrder(role: OrganisationRole, isPublic: Bool) {
        let member = AccessPolicy.Caller(name: "bob", scopes: Self.all, role: role)
        let expected: Set<RepositoryAction> =
            switch role {
            case .read: [.pull]
            case .write: [.pull, .push]
            case .admin: [.pull, .push, .delete]
            }
        #expect(AccessPolicy.allowedActions(on: Self.acmesApp, isPublic: isPublic, caller: member) == expected)
    }

    @Test(arguments: [false, true])
    func aUserOutsideTheOrganisationGetsOnlyWhatThePublicGets(isPublic: Bool) {
        let stranger = AccessPolicy.Caller(name: "mallory", scopes: Self.all)
        #expect(AccessPolicy.allowedActions(on: Self.acmesApp, isPublic: isPublic, caller: stranger) == (isPublic ? [.pull] : []))
    }

    // MARK: Site admins

    @Test(arguments: RepositoryAction.allCases, [false, true])
    func siteAdminsMayDoEverythingEverywhere(action: RepositoryAction, isPublic: Bool) {
        let root = AccessPolicy.Caller(name: "root", isSiteAdmin: true, scopes: Self.all)
        for name in ["alice/app", "acme/team/app", "library/ubuntu"] {
            #expect(AccessPolicy.allows(action, on: repository(name), isPublic: isPublic, caller: root))
        }
    }

    // MARK: Every combination against the rules written as a table

    @Test func everyCombination() {
        enum Who: CaseIterable { case anonymous, stranger, owner, siteAdmin, reader, writer, orgAdmin }
        for who in Who.allCases {
            for scopes in scopeSubsets {
                for isPublic in [false, true] {
                    for action in RepositoryAction.allCases {
                        let caller: AccessPolicy.Caller? =
                            switch who {
                            case .anonymous: nil
                            case .stranger: .init(name: "mallory", scopes: scopes)
                            case .owner: .init(name: "acme", scopes: scopes)
                            case .siteAdmin: .init(name: "root", isSiteAdmin: true, scopes: scopes)
                            case .reader: .init(name: "bob", scopes: scopes, role: .read)
                            case .writer: .init(name: "bob", scopes: scopes, role: .write)
                            case .orgAdmin: .init(name: "bob", scopes: scopes, role: .admin)
                            }
                        let hasScope: Bool =
                            switch action {
                            case .pull: !scopes.isEmpty
                            case .push: scopes.contains(.writePackages)
                            case .delete: scopes.contains(.deletePackages)
                            }
                        let hasRight: Bool =
                            switch (who, action) {
                            case (.anonymous, _), (.stranger, _): false
                            case (.owner, _), (.siteAdmin, _), (.orgAdmin, _): true
                            case (.reader, .pull), (.writer, .pull), (.writer, .push): true
                            case (.reader, _), (.writer, _): false
                            }
                        let expected = (action == .pull && isPublic) || (hasScope && hasRight)
                        let allowed = AccessPolicy.allows(action, on: Self.acmesApp, isPublic: isPublic, caller: caller)
                        #expect(allowed == expected, "\(who) \(action) public=\(isPublic) scopes=\(Scope.format(scopes))")
                    }
                }
            }
        }
    }
}

/// All 8 subsets of the scopes.
private let scopeSubsets: [Set<Scope>] = (0..<8).map { bits in
    Set(Scope.allCases.enumerated().filter { bits & (1 << $0.offset) != 0 }.map(\.element))
}

private func repository(_ text: String) -> RepositoryName {
    try! RepositoryName(parsing: text)
}
