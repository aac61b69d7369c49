import BlobStore
import Foundation
import Registry

/// Everything one run found and did, printed for a person (`summary`) or a machine (`json`).
struct FsckReport {
    struct RepairSummary: Encodable {
        /// What the check before the repair found.
        let storeFindings: [StoreFinding]
        let referenceFindings: [ReferenceFinding]
        let store: StoreRepairer.Outcome
        /// Nil when the directory has no metadata database.
        let references: ReferenceReport.Repair?
    }

    let directory: String
    let level: CheckLevel
    let layers: Bool
    /// After the repair, when there was one.
    let store: StoreReport
    /// Nil when the directory has no metadata database.
    let references: ReferenceReport?
    var repair: RepairSummary?

    init(directory: String, level: CheckLevel, layers: Bool, store: StoreReport, references: ReferenceReport?,
         repair: RepairSummary? = nil) {
        self.directory = directory
        self.level = level
        self.layers = layers
        self.store = store
        self.references = references
        self.repair = repair
    }

    var problems: [ReferenceFinding] { references?.problems ?? [] }

    var isClean: Bool { store.isClean && problems.isEmpty }

    // MARK: For a person

    func summary() -> String {
        var lines: [String] = []
        let stats = store.statistics
        var scope = "level \(level.rawValue)"
        if references != nil { scope += ", references" + (layers ? " and layer diff_ids" : "") }
        lines.append("stowage-fsck \(directory) (\(scope))")
        var checked = "checked \(Format.count(stats.packs, "pack")), \(Format.count(stats.records, "record")), \(Format.count(stats.blobs, "good blob")), \(Format.bytes(stats.storedBytes)) in \(Format.decimal(stats.seconds)) s"
        if stats.bytesScrubbed > 0 { checked += "; scrubbed \(Format.bytes(stats.bytesScrubbed))" }
        if stats.blobsHashed > 0 { checked += "; verified \(stats.blobsHashed) digests (\(Format.bytes(stats.bytesHashed)))" }
        lines.append(checked)
        if let references {
            let counts = references.statistics
            lines.append("references: \(Format.count(counts.repositories, "repository", "repositories")), \(Format.count(counts.manifests, "manifest")), \(Format.count(counts.tags, "tag")), \(Format.count(counts.links, "blob link"))")
        } else {
            lines.append("references: not checked (no metadata database)")
        }
        if let holder = store.holder {
            lines.append("a server holds the directory (\(holder)): checked beside it, read-only; the tail of a pack it is writing is not judged")
        }
        if stats.quarantined > 0 { lines.append("\(Format.count(stats.quarantined, "record")) quarantined by repairs (never served)") }
        if stats.deleted > 0 { lines.append("\(Format.count(stats.deleted, "record")) deleted by garbage collection, still in shared packs until compaction") }

        if let repair {
            lines.append("")
            lines.append("found before repair: \(repair.storeFindings.count) store problem(s), \(repair.referenceFindings.count) reference problem(s)")
            lines.append(contentsOf: repairLines(repair).map { "repaired: " + $0 })
            if repair.store.isEmpty && repair.references?.isEmpty != false { lines.append("repaired: nothing needed repairing") }
        }

        let notes = references?.findings.filter { !$0.isProblem } ?? []
        if isClean {
            lines.append("")
            lines.append(repair == nil ? "OK: no problems found." : "OK: the store is consistent now.")
        } else {
            lines.append("")
            lines.append("PROBLEMS\(repair == nil ? "" : " LEFT AFTER REPAIR"): \(store.findings.count) in the store, \(problems.count) in references")
            lines.append(contentsOf: store.findings.map { "  [\($0.kind.rawValue)] \($0)" })
            lines.append(contentsOf: problems.map { "  [\($0.kind.rawValue)] \($0)" })
            if !store.lost.isEmpty {
                lines.append("blobs with no good copy left (\(store.lost.count)): " + store.lost.map(\.description).joined(separator: ", "))
            }
            if let affected = references?.affectedRepositories, !affected.isEmpty {
                lines.append("affected packages: " + affected.joined(separator: ", "))
            }
            lines.append(repair == nil
                ? "to repair: stop the server, then run stowage-fsck --data-dir \(directory) --level \(level.rawValue) --repair"
                : "what is left needs the lost blobs pushed again to the affected packages")
        }
        if !notes.isEmpty {
            lines.append("notes:")
            lines.append(contentsOf: notes.map { "  [\($0.kind.rawValue)] \($0)" })
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func repairLines(_ repair: RepairSummary) -> [String] {
        var lines: [String] = []
        for record in repair.store.quarantined {
            lines.append("quarantined \(record.path) offset \(record.offset)\(record.digest.map { " (\($0))" } ?? ""): \(record.reason)")
        }
        lines.append(contentsOf: repair.store.cut.map { "cut and sealed \($0)" })
        if !repair.store.packIndexesWritten.isEmpty { lines.append("rewrote \(repair.store.packIndexesWritten.count) pack index file(s)") }
        if repair.store.deletionListWritten { lines.append("wrote index/deleted, the records collection deleted") }
        if repair.store.publishedIndexWritten { lines.append("rebuilt index/current.idx from the packs, without the records collection deleted") }
        lines.append(contentsOf: repair.store.uploadsDropped.map { "dropped upload \($0), which could not resume" })
        if let references = repair.references, !references.isEmpty {
            lines.append("dropped \(references.linksDropped) blob link(s), \(references.manifestsDropped) manifest(s) and \(references.tagsDropped) tag(s) that pointed at nothing")
        }
        return lines
    }

    // MARK: For a machine

    private struct Document: Encodable {
        struct Store: Encodable {
            let findings: [StoreFinding]
            let lost: [Digest]
            let statistics: StoreReport.Statistics
        }

        struct References: Encodable {
            let findings: [ReferenceFinding]
            let affectedPackages: [String]
            let statistics: ReferenceReport.Statistics
        }

        let dataDirectory: String
        /// The live server holding the directory during the check, if any.
        let server: String?
        let level: CheckLevel
        let layers: Bool
        let clean: Bool
        let store: Store
        let references: References?
        let repair: RepairSummary?
    }

    func json() throws -> String {
        let document = Document(
            dataDirectory: directory, server: store.holder?.text, level: level, layers: layers, clean: isClean,
            store: Document.Store(findings: store.findings, lost: store.lost, statistics: store.statistics),
            references: references.map {
                Document.References(findings: $0.findings, affectedPackages: $0.affectedRepositories, statistics: $0.statistics)
            },
            repair: repair)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
