import Foundation
/// Users, organisations with their members, personal access tokens and package visibility: the
/// data behind authentication and authorisation. `SQLMetadataStore` implements it in the same
/// database file as the registry's metadata.
///
/// Names are user or organisation names (`AccountName`'s grammar; users and organisations share
/// one namespace). Dates are Unix seconds. Refusals throw `AccountError`; database failures
/// `MetadataError`. A write has returned only once it is durable. Plain `throws`, not typed:
/// Swift 6.3 miscompiles async frames with typed throws.
public struct AccountStore: Sendable {
    let database: any Database

    public init(database: any Database) {
        self.database = database
    }

    // MARK: Users

    @discardableResult
    public func createUser(_ name: String, admin: Bool) async throws -> User {
        try AccountName.validate(name)
        return try await database.write { db in try await Self.insertUser(name, admin: admin, db) }
    }

    /// A disabled user's tokens are refused; enabling the user again restores them.
    public func setUserDisabled(_ name: String, disabled: Bool) async throws {
        try await database.write { db in
            let changed = try await db.run("UPDATE users SET disabled = ? WHERE name = ?", [.bool(disabled), .text(name)])
            guard changed > 0 else { throw AccountError.unknownUser(name) }
        }
    }

    public func user(named name: String) async throws -> User? {
        try await database.read { db in try await Self.userRow(name, db)?.user }
    }

    /// Every user, by name.
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

    /// Every organisation, by name.
    public func organisations() async throws -> [Organisation] {
        try await database.read { db in
            try await db.rows("SELECT name, created FROM organisations ORDER BY name") { row in
                Organisation(name: row.text(at: 0), created: row.integer(at: 1))
            }
        }
    }

    /// Adds the user to the organisation, or changes the role of a member.
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

    /// Throws `notAMember` if the user was not one.
    public func removeMember(organisation: String, user: String) async throws {
        try await database.write { db in
            let (organisationID, userID) = try await Self.membershipKeys(organisation, user, db)
            let removed = try await db.run(
                "DELETE FROM memberships WHERE organisation_id = ? AND user_id = ?", [.integer(organisationID), .integer(userID)]
            )
            guard removed > 0 else { throw AccountError.notAMember(user: user, organisation: organisation) }
        }
    }

    /// Nil if the organisation does not exist or the user is not a member.
    public func role(of user: String, in organisation: String) async throws -> OrganisationRole? {
        try await database.read { db in try await Self.role(of: user, in: organisation, db) }
    }

    /// The members by user name.
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

    /// The organisations `user` is a member of, with the role in each.
    public func memberships(of user: String) async throws -> [String: OrganisationRole] {
        try await database.read { db in
            let rows = try await db.rows(
                """
                SELECT o.name, m.role FROM memberships m JOIN organisations o ON o.id = m.organisation_id
                JOIN users u ON u.id = m.user_id WHERE u.name = ?
                """, [.text(user)]
            ) { row in (row.text(at: 0), try Self.parseRole(row.text(at: 1))) }
            return Dictionary(rows, uniquingKeysWith: { first, _ in first })
        }
    }

    // MARK: Tokens

    /// A new token for `user`; `token` is the only time its text exists outside the caller.
    /// `expires` (Unix seconds) must be in the future; nil never expires.
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

    /// A token as stored: its record, its secret's hash, and whether its user is disabled. What
    /// `AccountService` decides a credential's validity from.
    public struct StoredToken: Sendable {
        public var record: TokenRecord
        let secretHash: String
        public var userDisabled: Bool
    }

    /// The token with this id, with its secret's hash; nil if none.
    func storedToken(id: String) async throws -> StoredToken? {
        try await database.read { db in
            try await db.firstRow(
                "SELECT \(Self.tokenColumns), t.secret_sha256, u.disabled \(Self.tokenSource) WHERE t.id = ?", [.text(id)]
            ) { row in
                StoredToken(record: try Self.readToken(row), secretHash: row.text(at: 8), userDisabled: row.integer(at: 9) != 0)
            }
        }
    }

    /// Records a token's last use without waiting: the write joins the next group commit and
    /// may be lost. Never moves the time back.
    func recordUse(of id: String, at now: Int64) {
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

    /// The token with this id, whatever its state (check `isActive(at:)` and its user); nil if none.
    public func token(id: String) async throws -> TokenRecord? {
        try await database.read { db in
            try await db.firstRow(
                "SELECT \(Self.tokenColumns) \(Self.tokenSource) WHERE t.id = ?",
                [.text(id)],
                Self.readToken
            )
        }
    }

    /// The user's tokens, revoked and expired ones included, oldest first.
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

    /// Revokes at once: the next `authenticate` refuses it. Returns false if it was already
    /// revoked; throws `unknownToken` if there is no such token.
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

    /// New packages are private; this records the owner's choice, before or after the first push.
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

    /// What access decisions read, in one snapshot: whether the package is public, the user (nil
    /// if unknown), and their role in the package's owner organisation (read only when `role`
    /// says it is needed).
    func accessFacts(user: String?, repository: RepositoryName, role needsRole: @escaping @Sendable (User) -> Bool) async throws
        -> (isPublic: Bool, user: User?, role: OrganisationRole?)
    {
        try await database.read { db in
            let isPublic = try await Self.isPublic(repository, db)
            guard let user, let row = try await Self.userRow(user, db) else { return (isPublic, nil, nil) }
            let role = needsRole(row.user) ? try await Self.role(of: user, in: String(repository.owner), db) : nil
            return (isPublic, row.user, role)
        }
    }

    // MARK: First start

    public static let bootstrapUser = "admin"

    /// On a database without users, creates the site admin `admin` with a token of every scope
    /// and no expiry, and returns them: the caller prints the token once. Nil if any user
    /// exists. Atomic: of two concurrent calls, one creates.
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

    static func isPublic(_ repository: RepositoryName, _ db: any DatabaseSession) async throws -> Bool {
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
