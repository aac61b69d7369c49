import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The PostgreSQL session of the `Database` calls: statements on one leased connection.
/// Every failure reaches the body as a `MetadataError`, as SQLite's do.
struct PostgreSQLSession: DatabaseSession {
    let connection: PostgresConnection
    let placeholders: PostgreSQLPlaceholders
    let logger: Logger

    func run(_ sql: String, _ values: [DatabaseValue]) async throws -> Int {
        try await result(sql, values).metadata.rows ?? 0
    }

    func forEachRow(_ sql: String, _ values: [DatabaseValue], _ body: (any DatabaseRow) throws -> Void) async throws {
        for row in try await result(sql, values).rows {
            try body(try PostgreSQLRow(row))
        }
    }

    /// SQL text of several statements and no parameters (a migration), one statement at a time:
    /// postgres-nio sends every query by the extended protocol, which takes one statement.
    func script(_ sql: String) async throws {
        for statement in Self.statements(sql) {
            try await run(statement)
        }
    }

    /// The statements of `sql`, split at semicolons outside quotes and `$$` function bodies.
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var inQuotes = false
        var inBody = false
        var previous: Character = " "
        for character in sql {
            if character == "'" && !inBody { inQuotes.toggle() }
            if character == "$" && previous == "$" && !inQuotes { inBody.toggle() }
            previous = character
            if character == ";" && !inQuotes && !inBody {
                statements.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// Runs `body` between `begin` and COMMIT, and rolls back if it throws.
    func transaction<T>(_ begin: String, _ body: () async throws -> T) async throws -> T {
        try await run(begin)
        let value: T
        do {
            value = try await body()
        } catch {
            // A connection that cannot roll back is closed by the pool; the body's error is the news.
            _ = try? await run("ROLLBACK")
            throw error
        }
        try await run("COMMIT")
        return value
    }

    private func result(_ sql: String, _ values: [DatabaseValue]) async throws -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: binds.appendNull()
            case .integer(let integer): binds.append(integer)
            case .text(let text): binds.append(text)
            case .bytes(let bytes): binds.append(ByteBuffer(bytes: bytes))
            }
        }
        let query = PostgresQuery(unsafeSQL: placeholders.translate(sql), binds: binds)
        do {
            let pending: EventLoopFuture<PostgresQueryResult> = connection.query(query, logger: logger)
            return try await pending.get()
        } catch let error as PSQLError {
            throw MetadataError(error)
        }
    }
}

/// A row, its cells converted once to the values SQLite would give: integers (PostgreSQL's
/// int2, int4, int8 and bool), text, bytes (bytea), NULL. A cell of another type is a schema this build does
/// not know, reported as a corrupt value rather than read as 0.
struct PostgreSQLRow: DatabaseRow {
    private let values: [DatabaseValue]

    init(_ row: PostgresRow) throws {
        var values: [DatabaseValue] = []
        for cell in row {
            guard cell.bytes != nil else {
                values.append(.null)
                continue
            }
            do {
                switch cell.dataType {
                case .int2, .int4, .int8: values.append(.integer(try cell.decode(Int64.self)))
                case .bool: values.append(.integer(try cell.decode(Bool.self) ? 1 : 0))
                case .text, .varchar, .name, .bpchar: values.append(.text(try cell.decode(String.self)))
                case .bytea: values.append(.bytes(Array(buffer: try cell.decode(ByteBuffer.self))))
                default: throw MetadataError.corruptValue("column \(cell.columnName) of type \(cell.dataType)")
                }
            } catch let error as MetadataError {
                throw error
            } catch {
                throw MetadataError.corruptValue("column \(cell.columnName): \(error)")
            }
        }
        self.values = values
    }

    func optionalInteger(at column: Int32) -> Int64? {
        if case .integer(let value) = values[Int(column)] { value } else { nil }
    }

    func optionalText(at column: Int32) -> String? {
        if case .text(let value) = values[Int(column)] { value } else { nil }
    }

    func optionalBytes(at column: Int32) -> [UInt8]? {
        if case .bytes(let value) = values[Int(column)] { value } else { nil }
    }

    func value(at column: Int32) -> DatabaseValue {
        values[Int(column)]
    }
}
