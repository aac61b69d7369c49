import Foundation
import TestSupport
import Testing

/// One `stowage-fsck --json` run on a fixture, with the parts of its report the tests read.
struct FsckResult: CustomStringConvertible {
    let run: ChildRun
    let document: [String: Any]

    /// Runs the built stowage-fsck on `fixture` with `arguments` and `--json`.
    init(_ fixture: FsckFixture, _ arguments: [String] = []) throws {
        run = try ChildRun.fsck(["--data-dir", fixture.data, "--json"] + arguments)
        document = try run.document()
    }

    var status: Int32 { run.status }
    var description: String { run.description }

    private func section(_ name: String) -> [String: Any] { document[name] as? [String: Any] ?? [:] }

    var storeFindings: [[String: Any]] { section("store")["findings"] as? [[String: Any]] ?? [] }
    var referenceFindings: [[String: Any]] { section("references")["findings"] as? [[String: Any]] ?? [] }
    var affectedPackages: [String] { section("references")["affectedPackages"] as? [String] ?? [] }
    var statistics: [String: Any] { section("store")["statistics"] as? [String: Any] ?? [:] }
    var repair: [String: Any] { section("repair") }
    var quarantined: [[String: Any]] { (repair["store"] as? [String: Any])?["quarantined"] as? [[String: Any]] ?? [] }

    var storeKinds: [String] { storeFindings.compactMap { $0["kind"] as? String } }
    var referenceKinds: [String] { referenceFindings.compactMap { $0["kind"] as? String } }

    /// The store findings of `kind`.
    func store(_ kind: String) -> [[String: Any]] { storeFindings.filter { $0["kind"] as? String == kind } }
    func references(_ kind: String) -> [[String: Any]] { referenceFindings.filter { $0["kind"] as? String == kind } }
}
