import BlobStore
import Foundation
@testable import Registry
import TestSupport
import Testing

@Suite("Account store (SQLite and PostgreSQL)")
struct AccountStoreTests {
    private let database = ScratchDatabase()

    // MARK: Users and organisations

    @Test(arguments: DatabaseBackend.databases) func usersAreCreatedListedDisabledAndEnabled(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let before = UnixTime.now()
        let alice = try await store.accounts.createUser("alice", admin: false)
        let after = UnixTime.now()
        try await store.accounts.createUser("root", admin: true)
        try await store.accounts.createUser("bob", admin: false)
        #expect(alice.name == "alice" && !alice.isAdmin && !alice.isDisabled)
        #expect((before...after).contains(alice.created))
        #expect(try await store.accounts.users().map(\.name) == ["alice", "bob", "root"])
        #expect(try await store.accounts.user(named: "root")?.isAdmin == true)
        #expect(try await store.accounts.user(named: "nobody") == nil)

        try await store.accounts.setUserDisabled("alice", disabled: true)
        #expect(try await store.accounts.user(named: "alice")?.isDisabled == true)
        try await store.accounts.setUserDisabled("alice", disabled: false)
        #expect(try await store.accounts.user(named: "alice")?.isDisabled == false)
        await #expect(throws: AccountError.unknownUser("nobody")) { try await store.accounts.setUserDisabled("nobody", disabled: true) }
    }

    @Test(arguments: DatabaseBackend.databases) func usersAndOrganisationsShareOneNamespace(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        try await store.accounts.createUser("alice", admin: false)
        try await store.accounts.createOrganisation("acme")
        await #expect(throws: AccountError.userExists("alice")) { try await store.accounts.createUser("alice", admin: true) }
        await #expect(throws: AccountError.userExists("alice")) { try await store.accounts.createOrganisation("alice") }
        await #expect(throws: AccountError.organisationExists("acme")) { try await store.accounts.createUser("acme", admin: false) }
        await #expect(throws: AccountError.organisationExists("acme")) { try await store.accounts.createOrganisation("acme") }
        #expect(try await store.accounts.organisation(named: "acme")?.name == "acme")
        #expect(try await store.accounts.organisation(named: "alice") == nil)
        #expect(try await store.accounts.organisations().map(\.name) == ["acme"])
    }

    @Test(arguments: DatabaseBackend.databases) func theDatabaseItselfRefusesAnOwnerNameTakenByTheOtherKind(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        try await store.accounts.createUser("alice", admin: false)
        try await store.accounts.createOrganisation("acme")
        for statement in [
            "INSERT INTO organisations (name) VALUES ('alice')", "INSERT INTO users (name) VALUES ('acme')",
            "INSERT INTO users (name) VALUES ('Bob')", "UPDATE users SET name = 'eve' WHERE name = 'alice'",
        ] {
            let error = await #expect(throws: MetadataError.self, "\(statement)") {
                try await store.database.write { db in try await db.run(statement) }
            }
            if case .constraint = error {} else { Issue.record("\(statement): \(String(describing: error))") }
        }
    }

    @Test(arguments: ["", "Alice", "a/b", "-alice", "alice-", "al..ice", "al___ice", "al ice", "ålice", String(repeating: "a", count: 65)])
    func namesFollowTheRepositoryComponentGrammar(name: String) async throws {
        let store = try database.openSQLite()
        let error = await #expect(throws: AccountError.self) { try await store.accounts.createUser(name, admin: false) }
        if case .invalidName(let invalid, _) = error { #expect(invalid == name) } else { Issue.record("\(String(describing: error))") }
        await #expect(throws: AccountError.self) { try await store.accounts.createOrganisation(name) }
    }

    @Test(arguments: ["a", "alice", "a.b", "a_b", "a__b", "a---b", "0day", String(repeating: "a", count: 64)])
    func validNames(name: String) async throws {
        let store = try database.openSQLite()
        #expect(try await store.accounts.createUser(name, admin: false).name == name)
    }

    @Test(arguments: DatabaseBackend.databases) func membershipsHaveOneRoleEach(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        try await store.accounts.createOrganisation("acme")
        for user in ["carol", "bob", "dave"] { try await store.accounts.createUser(user, admin: false) }
        try await store.accounts.setMember(organisation: "acme", user: "bob", role: .read)
        try await store.accounts.setMember(organisation: "acme", user: "carol", role: .admin)
        try await store.accounts.setMember(organisation: "acme", user: "bob", role: .write)

        #expect(try await store.accounts.role(of: "bob", in: "acme") == .write)
        #expect(try await store.accounts.role(of: "dave", in: "acme") == nil)
        #expect(try await store.accounts.role(of: "bob", in: "nowhere") == nil)
        let members = try await store.accounts.members(of: "acme")
        #expect(members.map(\.user) == ["bob", "carol"] && members.map(\.role) == [.write, .admin])

        try await store.accounts.removeMember(organisation: "acme", user: "bob")
        #expect(try await store.accounts.role(of: "bob", in: "acme") == nil)
        await #expect(throws: AccountError.notAMember(user: "bob", organisation: "acme")) {
            try await store.accounts.removeMember(organisation: "acme", user: "bob")
        }
        await #expect(throws: AccountError.unknownOrganisation("nowhere")) {
            try await store.accounts.setMember(organisation: "nowhere", user: "bob", role: .read)
        }
        await #expect(throws: AccountError.unknownUser("nobody")) {
            try await store.accounts.setMember(organisation: "acme", user: "nobody", role: .read)
        }
        await #expect(throws: AccountError.unknownOrganisation("bob")) {
            try await store.accounts.setMember(organisation: "bob", user: "carol", role: .read)
        }
        await #expect(throws: AccountError.unknownOrganisation("nowhere")) { try await store.accounts.members(of: "nowhere") }
    }

    // MARK: Tokens

    @Test(arguments: DatabaseBackend.databases) func aTokenAuthenticatesItsUserAndIsStoredOnlyAsAHash(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let accounts = AccountService(store: store.accounts)
        try await store.accounts.createUser("alice", admin: false)
        let (token, record) = try await store.accounts.createToken(
            user: "alice", scopes: [.readPackages, .writePackages], expires: nil, description: "laptop"
        )
        #expect(token.wholeMatch(of: /stw_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/) != nil)
        #expect(token.hasPrefix("stw_\(record.id)_"))
        #expect(record.user == "alice" && record.scopes == [.readPackages, .writePackages] && record.description == "laptop")
        #expect(record.expires == nil && record.lastUsed == nil && !record.isRevoked)

        let authenticated = try await accounts.authenticate(user: "alice", token: token)
        #expect(authenticated?.id == record.id && authenticated?.scopes == record.scopes)
        #expect(try await store.accounts.tokens(of: "alice").map(\.id) == [record.id])

        let secret = String(token.dropFirst("stw_".count + 13))
        let stored = try await store.database.read { db in
            try await db.firstRow("SELECT secret_sha256, scopes FROM tokens WHERE id = ?", [.text(record.id)]) {
                ($0.text(at: 0), $0.text(at: 1))
            }
        }
        #expect(stored?.0 == Digest.of(Array(secret.utf8)).description.dropFirst("sha256:".count).description)
        #expect(stored?.1 == "read:packages,write:packages")
        // Nowhere in the whole database (SQLite: its file and journal).
        if backend == .sqlite {
            let file = try Data(contentsOf: URL(fileURLWithPath: database.path))
                + ((try? Data(contentsOf: URL(fileURLWithPath: database.path + "-wal"))) ?? Data())
            #expect(file.range(of: Data(secret.utf8)) == nil)
        }
    }

    @Test(arguments: DatabaseBackend.databases) func tokensAreRandomAndDistinct(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        try await store.accounts.createUser("alice", admin: false)
        var seen: Set<String> = [], ids: Set<String> = []
        for _ in 0..<20 {
            let created = try await store.accounts.createToken(user: "alice", scopes: [.readPackages], expires: nil, description: "")
            seen.insert(created.token)
            ids.insert(created.record.id)
        }
        #expect(seen.count == 20 && ids.count == 20)
    }

    @Test(arguments: DatabaseBackend.databases) func refusals(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let accounts = AccountService(store: store.accounts)
        try await store.accounts.createUser("alice", admin: false)
        try await store.accounts.createUser("bob", admin: false)
        let (token, record) = try await store.accounts.createToken(user: "alice", scopes: [.readPackages], expires: nil, description: "")
        let (bobsToken, _) = try await store.accounts.createToken(user: "bob", scopes: [.readPackages], expires: nil, description: "")

        // A wrong secret: every position of the secret matters.
        var wrong = Array(token)
        wrong[wrong.count - 1] = wrong.last == "A" ? "B" : "A"
        #expect(try await accounts.authenticate(user: "alice", token: String(wrong)) == nil)
        wrong = Array(token)
        wrong[17] = wrong[17] == "A" ? "B" : "A"
        #expect(try await accounts.authenticate(user: "alice", token: String(wrong)) == nil)
        // Someone else's token, or the right token claimed by someone else.
        #expect(try await accounts.authenticate(user: "alice", token: bobsToken) == nil)
        #expect(try await accounts.authenticate(user: "bob", token: token) == nil)
        #expect(try await accounts.authenticate(user: "nobody", token: token) == nil)
        // Malformed strings and unknown ids.
        for text in ["", "stw_", token + "x", String(token.dropLast()), token.uppercased(), "stw_000000000000_" + token.suffix(43)] {
            #expect(try await accounts.authenticate(user: "alice", token: text) == nil)
        }
        // Still good after all that.
        #expect(try await accounts.authenticate(user: "alice", token: token) != nil)

        // A disabled user's tokens fail until the user is enabled.
        try await store.accounts.setUserDisabled("alice", disabled: true)
        #expect(try await accounts.authenticate(user: "alice", token: token) == nil)
        try await store.accounts.setUserDisabled("alice", disabled: false)
        #expect(try await accounts.authenticate(user: "alice", token: token) != nil)

        // Revoked: at once, for good.
        #expect(try await store.accounts.revokeToken(id: record.id))
        #expect(try await accounts.authenticate(user: "alice", token: token) == nil)
        #expect(try await store.accounts.revokeToken(id: record.id) == false)
        #expect(try await store.accounts.tokens(of: "alice").first?.isRevoked == true)
        await #expect(throws: AccountError.unknownToken("000000000000")) { try await store.accounts.revokeToken(id: "000000000000") }
    }

    @Test(arguments: DatabaseBackend.databases) func expiredTokensAreRefused(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let accounts = AccountService(store: store.accounts)
        try await store.accounts.createUser("alice", admin: false)
        let now = UnixTime.now()
        let (token, record) = try await store.accounts.createToken(user: "alice", scopes: [.readPackages], expires: now + 3600, description: "")
        #expect(record.expires == now + 3600)
        #expect(try await accounts.authenticate(user: "alice", token: token, at: now + 3599) != nil)
        #expect(try await accounts.authenticate(user: "alice", token: token, at: now + 3600) == nil)
        #expect(try await accounts.authenticate(user: "alice", token: token, at: now + 86400) == nil)
        #expect(record.isExpired(at: now + 3600) && !record.isExpired(at: now))
    }

    @Test(arguments: DatabaseBackend.databases) func tokenCreationChecksItsArguments(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        try await store.accounts.createUser("alice", admin: false)
        await #expect(throws: AccountError.noScopes) {
            try await store.accounts.createToken(user: "alice", scopes: [], expires: nil, description: "")
        }
        await #expect(throws: AccountError.expiryInPast) {
            try await store.accounts.createToken(user: "alice", scopes: [.readPackages], expires: UnixTime.now() - 1, description: "")
        }
        await #expect(throws: AccountError.unknownUser("bob")) {
            try await store.accounts.createToken(user: "bob", scopes: [.readPackages], expires: nil, description: "")
        }
        await #expect(throws: AccountError.unknownUser("bob")) { try await store.accounts.tokens(of: "bob") }
        #expect(try Scope.parseList("read:packages, write:packages") == [.readPackages, .writePackages])
        #expect(throws: AccountError.invalidScope("admin:org")) { try Scope.parseList("read:packages,admin:org") }
        #expect(throws: AccountError.invalidScope("")) { try Scope.parseList("") }
    }

    @Test func lastUseIsRecordedAtMostOnceAMinute() async throws {
        let store = try database.openSQLite()
        let accounts = AccountService(store: store.accounts)
        try await store.accounts.createUser("alice", admin: false)
        let (token, record) = try await store.accounts.createToken(user: "alice", scopes: [.readPackages], expires: nil, description: "")
        let start = UnixTime.now()

        func storedLastUse() async throws -> Int64? {
            // The update is queued on the writer without waiting; any later write commits after it.
            try await store.accounts.setVisibility(repository: try RepositoryName(parsing: "flush/writes"), public: false)
            return try await store.accounts.tokens(of: "alice").first { $0.id == record.id }?.lastUsed
        }

        #expect(try await storedLastUse() == nil)
        #expect(try await accounts.authenticate(user: "alice", token: token, at: start)?.lastUsed == start)
        #expect(try await storedLastUse() == start)
        let commits = store.sqlite.writer.commitCount
        for offset in 1...30 {
            _ = try await accounts.authenticate(user: "alice", token: token, at: start + Int64(offset))
        }
        #expect(store.sqlite.writer.commitCount == commits)
        #expect(try await storedLastUse() == start)
        _ = try await accounts.authenticate(user: "alice", token: token, at: start + 61)
        #expect(try await storedLastUse() == start + 61)
    }

    @Test(arguments: DatabaseBackend.databases) func aTokenCreatedByAnotherConnectionIsSeenAndRevokedAtOnce(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let server = AccountService(store: try await database.open().accounts)
        let admin = try await database.open().accounts
        try await admin.createUser("alice", admin: false)
        let (token, record) = try await admin.createToken(user: "alice", scopes: [.readPackages], expires: nil, description: "")
        #expect(try await server.authenticate(user: "alice", token: token) != nil)
        try await admin.revokeToken(id: record.id)
        #expect(try await server.authenticate(user: "alice", token: token) == nil)
    }

    // MARK: Visibility and authorisation

    @Test(arguments: DatabaseBackend.databases) func packagesArePrivateUntilMadePublic(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let app = try RepositoryName(parsing: "alice/app")
        #expect(try await store.accounts.isPublic(app) == false)
        try await store.accounts.setVisibility(repository: app, public: true)
        #expect(try await store.accounts.isPublic(app))
        #expect(try await store.accounts.isPublic(try RepositoryName(parsing: "alice/app/sub")) == false)
        try await store.accounts.setVisibility(repository: app, public: false)
        #expect(try await store.accounts.isPublic(app) == false)
    }

    @Test(arguments: DatabaseBackend.databases) func allowedActionsCombineUsersRolesAndVisibility(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let accounts = AccountService(store: store.accounts)
        try await store.accounts.createUser("alice", admin: false)
        try await store.accounts.createUser("bob", admin: false)
        try await store.accounts.createUser("carol", admin: false)
        try await store.accounts.createUser("root", admin: true)
        try await store.accounts.createOrganisation("acme")
        try await store.accounts.setMember(organisation: "acme", user: "bob", role: .write)
        try await store.accounts.setMember(organisation: "acme", user: "carol", role: .read)
        let all = Set(Scope.allCases)
        let alicesApp = try RepositoryName(parsing: "alice/app"), acmesApp = try RepositoryName(parsing: "acme/app")

        #expect(try await accounts.allowedActions(user: "alice", repository: alicesApp, scopes: all) == [.pull, .push, .delete])
        #expect(try await accounts.allowedActions(user: "bob", repository: alicesApp, scopes: all).isEmpty)
        #expect(try await accounts.allowedActions(user: "bob", repository: acmesApp, scopes: all) == [.pull, .push])
        #expect(try await accounts.allowedActions(user: "carol", repository: acmesApp, scopes: all) == [.pull])
        #expect(try await accounts.allowedActions(user: "carol", repository: acmesApp, scopes: [.writePackages]) == [.pull])
        #expect(try await accounts.allowedActions(user: "root", repository: acmesApp, scopes: all) == [.pull, .push, .delete])
        #expect(try await accounts.allowedActions(user: nil, repository: acmesApp, scopes: []).isEmpty)
        #expect(try await accounts.allowedActions(user: "nobody", repository: acmesApp, scopes: all).isEmpty)
        #expect(try await accounts.canAccess(user: "bob", repository: acmesApp, action: .push, scopes: [.writePackages]))
        #expect(try await accounts.canAccess(user: "bob", repository: acmesApp, action: .push, scopes: [.readPackages]) == false)

        try await store.accounts.setVisibility(repository: acmesApp, public: true)
        #expect(try await accounts.allowedActions(user: nil, repository: acmesApp, scopes: []) == [.pull])
        // A disabled user counts as anonymous.
        try await store.accounts.setUserDisabled("bob", disabled: true)
        #expect(try await accounts.allowedActions(user: "bob", repository: acmesApp, scopes: all) == [.pull])
        try await store.accounts.setUserDisabled("root", disabled: true)
        #expect(try await accounts.allowedActions(user: "root", repository: alicesApp, scopes: all).isEmpty)
    }

    // MARK: Bootstrap and migration

    @Test(arguments: DatabaseBackend.databases) func bootstrapCreatesTheFirstAdminOnce(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        let accounts = AccountService(store: store.accounts)
        let results = try await withThrowingTaskGroup(of: (user: String, token: String)?.self) { group in
            for _ in 0..<4 { group.addTask { try await store.accounts.bootstrapIfEmpty() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let created = results.compactMap { $0 }
        #expect(created.count == 1)
        let first = try #require(created.first)
        #expect(first.user == "admin")
        #expect(try await store.accounts.user(named: "admin")?.isAdmin == true)
        let record = try await accounts.authenticate(user: "admin", token: first.token)
        #expect(record?.scopes == Set(Scope.allCases) && record?.expires == nil)
        #expect(try await store.accounts.bootstrapIfEmpty() == nil)
    }

    @Test(arguments: DatabaseBackend.databases) func noBootstrapOnceAUserExists(_ backend: DatabaseBackend) async throws {
        let database = try await ScratchDatabase(backend)
        let store = try await database.open()
        try await store.accounts.createUser("alice", admin: false)
        #expect(try await store.accounts.bootstrapIfEmpty() == nil)
        #expect(try await store.accounts.user(named: "admin") == nil)
    }

    @Test func aVersionOneDatabaseGainsTheAccountTables() async throws {
        do {
            let connection = try SQLiteConnection(path: database.path, readOnly: false)
            try connection.execute(SchemaMigrations.sqlite[0])
            try connection.execute("INSERT INTO repositories (name) VALUES ('alice/app'); PRAGMA user_version = 1")
        }
        let store = try database.openSQLite()
        #expect(try await store.manifests.repositoryExists(try RepositoryName(parsing: "alice/app")))
        try await store.accounts.createUser("alice", admin: false)
        #expect(try database.userVersion() == SchemaMigrations.latestVersion)
    }
}
