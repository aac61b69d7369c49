import Foundation
import TestSupport
import Testing

extension ChildRun {
    /// The JSON document the child printed.
    func document() throws -> [String: Any] {
        let object = try? JSONSerialization.jsonObject(with: Data(output.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(self)")
    }

    static func fsck(_ arguments: [String]) throws -> ChildRun {
        try run(BuiltExecutable.url("stowage-fsck"), arguments)
    }
}
