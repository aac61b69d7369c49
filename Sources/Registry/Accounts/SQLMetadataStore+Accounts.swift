import Foundation

/// Accounts live in the metadata database: the same writer (group commit) and reader, so the
/// server and the admin commands share one file, `DATA/metadata.db`, and its WAL.
extension SQLMetadataStore: AccountStore {
    /// How often a token's last use is written at most.
    static let lastUseInterval: Int64 = 60

    // MARK: Users

    @discardableResult
    public func createUser(_ name: String, admin: Bool) async throws -> User {
        try AccountName.validate(name)
        return try await database.write { db in try await Self.insertUser(name, admin: admin, db) }
    }

    public func setUserDisabled(_ name: String, disabled: Bool) async throws {
        try await database.write { db in
            let changed = try await db.run("UPDATE users SET disabled = ? WHERE name = ?", [.bool(disabled), .text(name)])
            guard changed > 0 else { throw AccountError.unknownUser(name) }
        }
    }

    public func user(named name: String) async throws -> User? {
        try await database.read { db in try await Self.userRow(name, db)?.user }
    }

    public func users() async throws -> [User] {
        try await database.read { db in
            try await db.rows("SELECT id, name, admin, disabled, created FROM users ORDER BY name", [], Self.readUser).map(\.user)
        }
    }

    // MARK: Organisations

    @discardableResult
    public func createOrganisation(_ name: String) async throws -> Organisation {
        try AccountName.validate(name)
        return try await database.write { db in
            try await Self.ensureOwnerNameFree(name, db)
            try await db.run("INSERT INTO organisations (name) VALUES (?)", [.text(name)])
            return try await Self.organisationRow(name, db)!.organisation
        }
    }

    public func organisation(named name: String) async throws -> Organisation? {
        try await database.read { db in try await Self.organisationRow(name, db)?.organisation }
    }

    public func organisations() async throws -> [Organisation] {
        try await database.read { db in
            try await db.rows("SELECT name, created FROM organisations ORDER BY name") { row in
                Organisation(name: row.text(at: 0), created: row.integer(at: 1))
            }
        }
    }

    public func setMember(organisation: String, user: String, role: OrganisationRole) async throws {
        try await database.write { db in
            let (organisationID, userID) = try await Self.membershipKeys(organisation, user, db)
            try await db.run(
                """
                INSERT INTO memberships (organisation_id, user_id, role) VALUES (?, ?, ?)
                ON CONFLICT (organisation_id, user_id) DO UPDATE SET role = excluded.role
                """,
                [.integer(organisationID), .integer(userID), .text(role.rawValue)]
            )
        }
    }

    public func removeMember(organisation: String, user: String) async throws {
        try await database.write { db in
            let (organisationID, userID) = try await Self.membershipKeys(organisation, user, db)
            let removed = try await db.run(
                "DELETE FROM memberships WHERE organisation_id = ? AND user_id = ?", [.integer(organisationID), .integer(userID)]
            )
            guard removed > 0 else { throw AccountError.notAMember(user: user, organisation: organisation) }
        }
    }

    public func role(of user: String, in organisation: String) async throws -> OrganisationRole? {
        try await database.read { db in try await Self.role(of: user, in: organisation, db) }
    }

    public func members(of organisation: String) async throws -> [(user: String, role: OrganisationRole)] {
        try await database.read { db in
            guard let organisationID = try await Self.organisationRow(organisation, db)?.id else {
                throw AccountError.unknownOrganisation(organisation)
            }
            return try await db.rows(
                "SELECT u.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organisation_id = ? ORDER BY u.name",
                [.integer(organisationID)]
            ) { row in (user: row.text(at: 0), role: try Self.parseRole(row.text(at: 1))) }
        }
    }

    // MARK: Tokens

    public func createToken(user: String, scopes: Set<Scope>, expires: Int64?, description: String) async throws
        -> (token: String, record: TokenRecord)
    {
        guard !scopes.isEmpty else { throw AccountError.noScopes }
        let now = UnixTime.now()
        if let expires, expires <= now { throw AccountError.expiryInPast }
        return try await database.write { db in
            guard let owner = try await Self.userRow(user, db) else { throw AccountError.unknownUser(user) }
            return try await Self.insertToken(
                userID: owner.id, user: user, scopes: scopes, expires: expires, description: description, now: now, db
            )
        }
    }

    public func authenticate(user: String, token: String) async throws -> TokenRecord? {
        try await authenticate(user: user, token: token, at: UnixTime.now())
    }

    /// `authenticate` as of `now`, for tests of expiry and of the last-use throttle.
    func authenticate(user: String, token: String, at now: Int64) async throws -> TokenRecord? {
        guard let parsed = PersonalAccessToken(parsing: token) else { return nil }
        let found = try await database.read { db in
            try await db.firstRow(
                Self.tokenByID, [.text(parsed.id)]
            ) { row in
                // Hashed here, off the cooperative pool; compared even for a wrong user, so that
                // the answer takes the same time.
                (record: try Self.readToken(row), matches: parsed.matches(storedHash: row.text(at: 8)), disabled: row.integer(at: 9) != 0)
            }
        }
        guard let found, found.matches, found.record.user == user, !found.disabled,
            found.record.isActive(at: now)
        else { return nil }
        var record = found.record
        if record.lastUsed.map({ now - $0 >= Self.lastUseInterval }) ?? true {
            recordUse(of: record.id, at: now)
        }
        record.lastUsed = now
        return record
    }

    /// A token's record, its secret's hash (column 8) and whether its user is disabled (9).
    private static let tokenByID = "SELECT \(tokenColumns), t.secret_sha256, u.disabled \(tokenSource) WHERE t.id = ?"

    public func activeToken(id: String, at now: Int64) async throws -> TokenRecord? {
        let found = try await database.read { db in
            try await db.firstRow(Self.tokenByID, [.text(id)]) {
                row in (record: try Self.readToken(row), disabled: row.integer(at: 9) != 0)
            }
        }
        guard let found, !found.disabled, found.record.isActive(at: now) else { return nil }
        return found.record
    }

    /// Queues the last-use update unless this process queued one for the token within the
    /// interval; the write joins the next group commit and nobody waits for it.
    private func recordUse(of id: String, at now: Int64) {
        let due = lastUseQueued.withLock { queued in
            if let last = queued[id], now - last < Self.lastUseInterval, now >= last { return false }
            queued[id] = now
            return true
        }
        guard due else { return }
        database.enqueue { db in
            try await db.run(
                "UPDATE tokens SET last_used = ?2 WHERE id = ?1 AND (last_used IS NULL OR last_used < ?2)",
                [.text(id), .integer(now)]
            )
        }
    }

    /// The columns `readToken` reads, in its order, and where they come from.
    static let tokenColumns = "t.id, u.name, t.scopes, t.description, t.created, t.expires, t.last_used, t.revoked"
    static let tokenSource = "FROM tokens t JOIN users u ON u.id = t.user_id"

    public func token(id: String) async throws -> TokenRecord? {
        try await database.read { db in
            try await db.firstRow(
                "SELECT \(Self.tokenColumns) \(Self.tokenSource) WHERE t.id = ?",
                [.text(id)],
                Self.readToken
            )
        }
    }

    public func tokens(of user: String) async throws -> [TokenRecord] {
        try await database.read { db in
            guard let owner = try await Self.userRow(user, db) else { throw AccountError.unknownUser(user) }
            return try await db.rows(
                "SELECT \(Self.tokenColumns) \(Self.tokenSource) WHERE t.user_id = ? ORDER BY t.created, t.id",
                [.integer(owner.id)],
                Self.readToken
            )
        }
    }

    @discardableResult
    public func revokeToken(id: String) async throws -> Bool {
        let now = UnixTime.now()
        return try await database.write { db in
            guard let revoked = try await db.firstRow("SELECT revoked FROM tokens WHERE id = ?", [.text(id)], { $0.optionalInteger(at: 0) })
            else { throw AccountError.unknownToken(id) }
            guard revoked == nil else { return false }
            try await db.run("UPDATE tokens SET revoked = ? WHERE id = ?", [.integer(now), .text(id)])
            return true
        }
    }

    // MARK: Package visibility

    public func setVisibility(repository: RepositoryName, public isPublic: Bool) async throws {
        try await database.write { db in
            _ = try await db.run(
                """
                INSERT INTO package_visibility (repository, public) VALUES (?, ?)
                ON CONFLICT (repository) DO UPDATE SET public = excluded.public, updated = excluded.updated
                """,
                [.text(repository.description), .bool(isPublic)]
            )
        }
    }

    public func isPublic(_ repository: RepositoryName) async throws -> Bool {
        try await database.read { db in try await Self.isPublic(repository, db) }
    }

    // MARK: Authorisation

    public func allowedActions(user: String?, repository: RepositoryName, scopes: Set<Scope>) async throws
        -> Set<RepositoryAction>
    {
        try await database.read { db in
            let isPublic = try await Self.isPublic(repository, db)
            var caller: AccessPolicy.Caller?
            if let user, let row = try await Self.userRow(user, db), !row.user.isDisabled {
                // The policy reads the organisation role only for someone else's namespace.
                let needsRole = !row.user.isAdmin && String(repository.owner) != user
                caller = AccessPolicy.Caller(
                    name: row.user.name, isSiteAdmin: row.user.isAdmin, scopes: scopes,
                    role: needsRole ? try await Self.role(of: user, in: String(repository.owner), db) : nil
                )
            }
            return AccessPolicy.allowedActions(on: repository, isPublic: isPublic, caller: caller)
        }
    }

    // MARK: First start

    public static let bootstrapUser = "admin"

    public func bootstrapIfEmpty() async throws -> (user: String, token: String)? {
        let now = UnixTime.now()
        return try await database.write { db -> (user: String, token: String)? in
            guard try await db.firstRow("SELECT 1 FROM users LIMIT 1", [], { _ in true }) == nil else { return nil }
            let user = try await Self.insertUser(Self.bootstrapUser, admin: true, db)
            let created = try await Self.insertToken(
                userID: try await Self.userRow(user.name, db)!.id, user: user.name, scopes: Set(Scope.allCases), expires: nil,
                description: "bootstrap token of the first admin", now: now, db
            )
            return (user: user.name, token: created.token)
        }
    }

    // MARK: Statements; run inside a Database call

    private static func insertUser(_ name: String, admin: Bool, _ db: any DatabaseSession) async throws -> User {
        try await ensureOwnerNameFree(name, db)
        try await db.run("INSERT INTO users (name, admin) VALUES (?, ?)", [.text(name), .bool(admin)])
        return try await userRow(name, db)!.user
    }

    private static func insertToken(
        userID: Int64, user: String, scopes: Set<Scope>, expires: Int64?, description: String, now: Int64,
        _ db: any DatabaseSession
    ) async throws -> (token: String, record: TokenRecord) {
        var token = PersonalAccessToken.generate()
        while try await db.firstRow("SELECT 1 FROM tokens WHERE id = ?", [.text(token.id)], { _ in true }) != nil {
            token = PersonalAccessToken.generate()
        }
        try await db.run(
            "INSERT INTO tokens (id, user_id, secret_sha256, scopes, description, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                .text(token.id), .integer(userID), .text(token.secretHash), .text(Scope.format(scopes)), .text(description),
                .integer(now), expires.map { .integer($0) } ?? .null,
            ]
        )
        let record = TokenRecord(id: token.id, user: user, scopes: scopes, description: description, created: now, expires: expires)
        return (token: token.text, record: record)
    }

    private static func ensureOwnerNameFree(_ name: String, _ db: any DatabaseSession) async throws {
        if try await userRow(name, db) != nil { throw AccountError.userExists(name) }
        if try await organisationRow(name, db) != nil { throw AccountError.organisationExists(name) }
    }

    private static func readUser(_ row: any DatabaseRow) -> (id: Int64, user: User) {
        (
            id: row.integer(at: 0),
            user: User(
                name: row.text(at: 1), isAdmin: row.integer(at: 2) != 0, isDisabled: row.integer(at: 3) != 0,
                created: row.integer(at: 4)
            )
        )
    }

    private static func userRow(_ name: String, _ db: any DatabaseSession) async throws -> (id: Int64, user: User)? {
        try await db.firstRow("SELECT id, name, admin, disabled, created FROM users WHERE name = ?", [.text(name)], readUser)
    }

    private static func organisationRow(_ name: String, _ db: any DatabaseSession) async throws
        -> (id: Int64, organisation: Organisation)?
    {
        try await db.firstRow("SELECT id, name, created FROM organisations WHERE name = ?", [.text(name)]) { row in
            (id: row.integer(at: 0), organisation: Organisation(name: row.text(at: 1), created: row.integer(at: 2)))
        }
    }

    private static func membershipKeys(_ organisation: String, _ user: String, _ db: any DatabaseSession) async throws
        -> (organisation: Int64, user: Int64)
    {
        guard let organisationID = try await organisationRow(organisation, db)?.id else {
            throw AccountError.unknownOrganisation(organisation)
        }
        guard let userID = try await userRow(user, db)?.id else { throw AccountError.unknownUser(user) }
        return (organisationID, userID)
    }

    private static func role(of user: String, in organisation: String, _ db: any DatabaseSession) async throws
        -> OrganisationRole?
    {
        let text = try await db.firstRow(
            """
            SELECT m.role FROM memberships m JOIN organisations o ON o.id = m.organisation_id
            JOIN users u ON u.id = m.user_id WHERE o.name = ? AND u.name = ?
            """,
            [.text(organisation), .text(user)]
        ) { $0.text(at: 0) }
        return try text.map { (text) in try parseRole(text) }
    }

    private static func isPublic(_ repository: RepositoryName, _ db: any DatabaseSession) async throws -> Bool {
        try await db.firstRow("SELECT public FROM package_visibility WHERE repository = ?", [.text(repository.description)]) {
            $0.integer(at: 0) != 0
        } ?? false
    }

    /// A token row: id, user name, scopes, description, created, expires, last_used, revoked.
    private static func readToken(_ row: any DatabaseRow) throws(MetadataError) -> TokenRecord {
        let scopesText = row.text(at: 2)
        let scopes = try Set(
            scopesText.split(separator: ",").map { (name) throws(MetadataError) in
                guard let scope = Scope(rawValue: String(name)) else { throw .corruptValue("token scope '\(name)'") }
                return scope
            }
        )
        return TokenRecord(
            id: row.text(at: 0), user: row.text(at: 1), scopes: scopes, description: row.text(at: 3), created: row.integer(at: 4),
            expires: row.optionalInteger(at: 5), lastUsed: row.optionalInteger(at: 6), revoked: row.optionalInteger(at: 7)
        )
    }

    private static func parseRole(_ text: String) throws(MetadataError) -> OrganisationRole {
        guard let role = OrganisationRole(rawValue: text) else { throw .corruptValue("organisation role '\(text)'") }
        return role
    }
}

extension DatabaseValue {
    fileprivate static func bool(_ value: Bool) -> DatabaseValue { .integer(value ? 1 : 0) }
}
