import BlobStore
import Foundation
import Registry

/// What one run on a cluster store (bucket and PostgreSQL) found and did, for a person or a machine.
struct ClusterFsckReport {
    struct RepairSummary: Encodable {
        let storeFindings: [ObjectStoreFinding]
        let referenceFindings: [ReferenceFinding]
        let store: ObjectStoreReport.Repair
        let references: ReferenceReport.Repair
    }

    let bucket: String
    let level: CheckLevel
    let layers: Bool
    /// After the repair, when there was one.
    let store: ObjectStoreReport
    let references: ReferenceReport
    var repair: RepairSummary?

    var problems: [ReferenceFinding] { references.problems }
    var isClean: Bool { store.findings.isEmpty && problems.isEmpty }

    func summary() -> String {
        var lines = ["stowage-fsck \(bucket) (level \(level.rawValue), references\(layers ? " and layer diff_ids" : ""))"]
        lines.append(
            "checked \(Format.count(store.blobs, "blob")) (\(store.inlineBlobs) in their rows, \(Format.count(store.objects, "object"))), \(Format.bytes(store.bytes))")
        let counts = references.statistics
        lines.append("references: \(Format.count(counts.repositories, "repository", "repositories")), \(Format.count(counts.manifests, "manifest")), \(Format.count(counts.tags, "tag")), \(Format.count(counts.links, "blob link"))")
        if let repair {
            lines.append("")
            lines.append("found before repair: \(repair.storeFindings.count) store problem(s), \(repair.referenceFindings.count) reference problem(s)")
            var done: [String] = []
            done += repair.store.rowsDropped.map { "dropped the row of \($0), whose object is lost or damaged" }
            done += repair.store.rowsRebuilt.map { "rebuilt the row of \($0) from its object and sidecar" }
            done += repair.store.sidecarsWritten.map { "wrote the sidecar of \($0) again" }
            if repair.store.multipartAborted > 0 { done.append("aborted \(repair.store.multipartAborted) abandoned multipart upload(s)") }
            if !repair.references.isEmpty {
                done.append("dropped \(repair.references.linksDropped) blob link(s), \(repair.references.manifestsDropped) manifest(s) and \(repair.references.tagsDropped) tag(s) that pointed at nothing")
            }
            lines.append(contentsOf: (done.isEmpty ? ["nothing needed repairing"] : done).map { "repaired: " + $0 })
        }
        lines.append("")
        if isClean {
            lines.append(repair == nil ? "OK: no problems found." : "OK: the store is consistent now.")
        } else {
            lines.append("PROBLEMS\(repair == nil ? "" : " LEFT AFTER REPAIR"): \(store.findings.count) in the store, \(problems.count) in references")
            lines.append(contentsOf: store.findings.map { "  [\($0.kind.rawValue)] \($0)" })
            lines.append(contentsOf: problems.map { "  [\($0.kind.rawValue)] \($0)" })
            if repair == nil { lines.append("to repair: run stowage-fsck again with --repair (the nodes may keep running)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private struct Document: Encodable {
        let bucket: String
        let level: CheckLevel
        let layers: Bool
        let clean: Bool
        let store: [ObjectStoreFinding]
        let references: [ReferenceFinding]
        let repair: RepairSummary?
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let document = Document(
            bucket: bucket, level: level, layers: layers, clean: isClean, store: store.findings, references: references.findings, repair: repair)
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
