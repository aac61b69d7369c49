import Hummingbird

/// The signed-in user's personal access tokens, and organisations' members. A session can only
/// create tokens with scopes its own token holds, so a stolen read-only session cannot mint a
/// token that deletes.
struct AccountPages: Sendable {
    let registry: RegistryService

    private var store: AccountStore { registry.metadata.accounts }

    // MARK: Tokens

    private struct TokensView {
        struct Choice {
            let name: String
            let text: String
            let allowed: Bool
        }

        struct Row {
            let id: String
            let description: String
            let scopes: String
            let expires: String
            let lastUsed: String
            let state: String
            let active: Bool
            let current: Bool
            let csrf: String
        }

        struct Created {
            let token: String
            let host: String
            let user: String
        }

        let csrf: String
        let scopes: [Choice]
        let list: [Row]
        let created: Created?
    }

    func tokens(_ page: PageRequest) async throws -> Response {
        try await tokens(page, created: nil)
    }

    private func tokens(_ page: PageRequest, created: TokensView.Created?) async throws -> Response {
        let (user, current) = try signedIn(page)
        let texts: [Scope: String] = [
            .readPackages: "pull packages", .writePackages: "push packages (and pull)", .deletePackages: "delete and restore packages",
        ]
        let view = TokensView(
            csrf: page.viewer.csrf,
            scopes: Scope.allCases.sorted().map {
                TokensView.Choice(name: $0.rawValue, text: texts[$0] ?? "", allowed: page.viewer.holds($0))
            },
            list: try await store.tokens(of: user.name).reversed().map { token in
                let state = token.isRevoked ? "Revoked" : token.isExpired(at: page.now) ? "Expired" : "Active"
                return TokensView.Row(
                    id: token.id, description: token.description.isEmpty ? "(no note)" : token.description,
                    scopes: Scope.format(token.scopes), expires: token.expires.map(PageFormat.date) ?? "never",
                    lastUsed: token.lastUsed.map { PageFormat.relative($0, now: page.now) } ?? "never", state: state,
                    active: state == "Active", current: token.id == current.id, csrf: page.viewer.csrf)
            },
            created: created)
        return page.render("tokens", title: "Personal access tokens", page: view)
    }

    /// Creates the token and shows it, this once, on the answer to the form (never in a URL).
    func createToken(_ page: PageRequest) async throws -> Response {
        let (user, _) = try signedIn(page)
        var scopes: Set<Scope> = []
        for name in page.form["scope"] ?? [] {
            guard let scope = Scope(rawValue: name) else { throw AccountError.invalidScope(name) }
            guard page.viewer.holds(scope) else {
                throw RegistryError(
                    .forbidden, .denied, "This session's token lacks \(name), so it cannot create a token with it.")
            }
            scopes.insert(scope)
        }
        guard !scopes.isEmpty else { throw AccountError.noScopes }
        let expiry = page.field("expiry") ?? "30"
        let expires: Int64?
        if expiry == "never" {
            expires = nil
        } else if let days = Int64(expiry), (1...365).contains(days) {
            expires = page.now + days * 86_400
        } else {
            throw RegistryError(.badRequest, .unsupported, "The expiration must be 1 to 365 days, or none.")
        }
        // A note is shown on pages and in the admin commands' lists: printable and short.
        let note = String((page.field("description") ?? "").unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(200))
        let created = try await store.createToken(user: user.name, scopes: scopes, expires: expires, description: note)
        return try await tokens(page, created: TokensView.Created(token: created.token, host: page.host, user: user.name))
    }

    func revokeToken(_ id: String, _ page: PageRequest) async throws -> Response {
        let (user, _) = try signedIn(page)
        // Only one's own tokens; another user's id is unknown here.
        guard try await store.tokens(of: user.name).contains(where: { $0.id == id }) else { throw AccountError.unknownToken(id) }
        try await store.revokeToken(id: id)
        return PageRenderer.redirect(to: "/-/tokens?notice=revoked")
    }

    /// The signed-in user and their session's token; the token pages need an account (with
    /// authentication off there is none).
    private func signedIn(_ page: PageRequest) throws -> (User, TokenRecord) {
        if page.viewer.isOpen {
            throw RegistryError(.notFound, .unsupported, "Authentication is off on this registry: there are no tokens to manage.")
        }
        guard let account = page.viewer.account else { throw PageRequest.SignInRequired() }
        return account
    }

    // MARK: Organisations

    private struct OrganisationsView {
        struct Row {
            let name: String
            let role: String
        }

        let list: [Row]
    }

    func organisations(_ page: PageRequest) async throws -> Response {
        let (user, _) = try signedIn(page)
        let roles = try await store.memberships(of: user.name)
        let names = user.isAdmin ? try await store.organisations().map(\.name) : roles.keys.sorted()
        let view = OrganisationsView(list: names.map {
            OrganisationsView.Row(name: $0, role: roles[$0]?.rawValue ?? "site administrator")
        })
        return page.render("organisations", title: "Organisations", page: view)
    }

    private struct OrganisationView {
        struct Role {
            let value: String
            let selected: Bool
        }

        struct Member {
            let name: String
            let user: String
            let role: String
            let roles: [Role]
            let mayManage: Bool
            let csrf: String
        }

        let name: String
        let members: [Member]
        let mayManage: Bool
        let csrf: String
    }

    /// Members and roles, for the organisation's members; its administrators (and site
    /// administrators) change them.
    func organisation(_ name: String, _ page: PageRequest) async throws -> Response {
        let mayManage = try await access(to: name, page)
        let members = try await store.members(of: name).map { member in
            OrganisationView.Member(
                name: name, user: member.user, role: member.role.rawValue,
                roles: OrganisationRole.allCases.map { .init(value: $0.rawValue, selected: $0 == member.role) }, mayManage: mayManage,
                csrf: page.viewer.csrf)
        }
        let view = OrganisationView(name: name, members: members, mayManage: mayManage, csrf: page.viewer.csrf)
        return page.render("organisation", title: "Members of \(name)", page: view)
    }

    /// Adds a member, changes a role, or (role `none`) removes a member.
    func setMember(_ name: String, _ page: PageRequest) async throws -> Response {
        guard try await access(to: name, page) else {
            throw RegistryError(.forbidden, .denied, "Only administrators of \(name) may change its members.")
        }
        guard page.viewer.holds(.writePackages) else {
            throw RegistryError(.forbidden, .denied, "Changing members needs a session signed in with a write:packages token.")
        }
        let user = page.field("user") ?? ""
        if page.field("role") == "none" {
            try await store.removeMember(organisation: name, user: user)
        } else {
            guard let role = page.field("role").flatMap(OrganisationRole.init(rawValue:)) else {
                throw RegistryError(.badRequest, .unsupported, "The role must be read, write or admin.")
            }
            try await store.setMember(organisation: name, user: user, role: role)
        }
        return PageRenderer.redirect(to: "/-/orgs/\(name)?notice=members")
    }

    /// Whether the viewer manages the organisation (its admin, or a site administrator);
    /// refuses whom is not even a member, as if it did not exist.
    private func access(to name: String, _ page: PageRequest) async throws -> Bool {
        let (user, _) = try signedIn(page)
        guard try await store.organisation(named: name) != nil else { throw AccountError.unknownOrganisation(name) }
        if user.isAdmin { return true }
        guard let role = try await store.role(of: user.name, in: name) else { throw AccountError.unknownOrganisation(name) }
        return role == .admin
    }
}
