import Synchronization

/// The stores' SQL in PostgreSQL's parameters: SQLite's `?N` becomes `$N`, and a bare `?` the
/// next number after the highest so far, as SQLite numbers it. Text in single quotes is copied
/// as it is. Each distinct statement is translated once; the stores' statements are a fixed set.
final class PostgreSQLPlaceholders: Sendable {
    private let translated = Mutex<[String: String]>([:])

    func translate(_ sql: String) -> String {
        if let known = translated.withLock({ $0[sql] }) { return known }
        let result = Self.translate(sql: sql)
        translated.withLock { $0[sql] = result }
        return result
    }

    static func translate(sql: String) -> String {
        var output = ""
        output.reserveCapacity(sql.utf8.count + 8)
        var highest = 0
        var inQuotes = false
        var characters = sql.makeIterator()
        var pending = characters.next()
        while let character = pending {
            pending = characters.next()
            if character == "'" { inQuotes.toggle() }
            guard character == "?", !inQuotes else {
                output.append(character)
                continue
            }
            var digits = ""
            while let next = pending, next.isASCII, next.isNumber {
                digits.append(next)
                pending = characters.next()
            }
            let number = Int(digits) ?? highest + 1
            highest = max(highest, number)
            output += "$\(number)"
        }
        return output
    }
}
