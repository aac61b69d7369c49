#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import BlobStore

/// The references check of stowage-fsck: every manifest's bytes are in the store and parse,
/// every blob a manifest names is in the store and linked into its repository, every tag points
/// at a manifest, every index child and subject is accounted for, and (with `checkLayers`) an
/// image config's `rootfs.diff_ids` match its layers' uncompressed digests.
///
/// It reads the metadata in one snapshot and the blobs through `BlobContents`, the blobs the
/// store check found good; so a blob whose record is damaged counts as missing.
public struct ReferenceChecker: Sendable {
    public var checkLayers = false
    let metadata: IntegrityStore
    let contents: any BlobContents

    public init(metadata: IntegrityStore, contents: any BlobContents) {
        self.metadata = metadata
        self.contents = contents
    }

    public func run() async throws -> ReferenceReport {
        let snapshot = try await metadata.referenceSnapshot()
        var report = ReferenceReport(snapshot: snapshot)
        let linked = Set(snapshot.links)
        for link in snapshot.links where !isPresent(link.digest) {
            report.add(.linkDangling, link.repository, digest: link.digest, "links blob \(link.digest), which the store does not have")
            report.removals.links.append(link)
        }

        var manifestsByRepository: [String: [String: ReferenceSnapshot.Manifest]] = [:]
        for manifest in snapshot.manifests { manifestsByRepository[manifest.repository, default: [:]][manifest.digest] = manifest }
        var diffIDs: [Digest: Result<Digest, any Error>] = [:]
        for manifest in snapshot.manifests {
            let repository = manifest.repository
            guard let digest = Digest(manifest.digest), contents.contains(digest) else {
                report.add(.manifestMissing, repository, manifest: manifest.digest, "the manifest's bytes are not in the store")
                report.removals.manifestIDs.append(manifest.id)
                continue
            }
            let parsed: ParsedManifest
            do {
                parsed = try ManifestParser.parse(try await contents.bytes(of: digest), contentType: manifest.mediaType)
            } catch {
                report.add(.manifestUnparsable, repository, manifest: manifest.digest, "the manifest cannot be read: \(error)")
                continue
            }
            let foreign = Set(parsed.foreignLayers.map(\.digest))
            for blob in parsed.blobs where !foreign.contains(blob) {
                if !contents.contains(blob) {
                    report.add(.blobMissing, repository, manifest: manifest.digest, digest: "\(blob)",
                               "names blob \(blob), which the store does not have")
                } else if !linked.contains(ReferenceSnapshot.Link(repository: repository, digest: "\(blob)")) {
                    report.add(.blobUnlinked, repository, manifest: manifest.digest, digest: "\(blob)",
                               "names blob \(blob), which is not linked into the repository")
                }
            }
            let siblings = manifestsByRepository[repository] ?? [:]
            // A live index needs live children; a deleted one is restored with its own.
            let hasChild = { (child: Digest) in siblings["\(child)"].map { manifest.deleted || !$0.deleted } ?? false }
            for child in parsed.children where !hasChild(child) || !contents.contains(child) {
                report.add(.childMissing, repository, manifest: manifest.digest, digest: "\(child)",
                           "index names manifest \(child), which the repository does not have")
            }
            if let subject = parsed.subject, siblings["\(subject.digest)"] == nil {
                report.add(.subjectMissing, repository, manifest: manifest.digest, digest: "\(subject.digest)",
                           "subject \(subject.digest) is not in the repository (allowed: a referrer may come before its subject)")
            }
            if checkLayers {
                await checkDiffIDs(parsed, of: manifest, into: &report, cache: &diffIDs)
            }
        }

        let manifestsByID = Dictionary(uniqueKeysWithValues: snapshot.manifests.map { ($0.id, $0) })
        for tag in snapshot.tags {
            guard let manifest = manifestsByID[tag.manifestID] else {
                report.add(.tagDangling, tag.repository, tag: tag.name, "tag points at manifest row \(tag.manifestID), which does not exist")
                report.removals.tags.append(tag)
                continue
            }
            if report.removals.manifestIDs.contains(manifest.id) {
                report.add(.tagDangling, tag.repository, manifest: manifest.digest, tag: tag.name,
                           "tag points at manifest \(manifest.digest), whose bytes are not in the store")
            }
        }
        report.statistics.layersDigested = diffIDs.count
        return report
    }

    private func isPresent(_ digest: String) -> Bool {
        Digest(digest).map(contents.contains) ?? false
    }

    private struct ImageConfig: Decodable {
        struct RootFS: Decodable {
            let diffIDs: [String]?
            enum CodingKeys: String, CodingKey { case diffIDs = "diff_ids" }
        }
        let rootfs: RootFS?
    }

    /// The config's `rootfs.diff_ids` against the uncompressed digest of each layer, each layer
    /// decompressed once however many images share it.
    private func checkDiffIDs(
        _ parsed: ParsedManifest, of manifest: ReferenceSnapshot.Manifest, into report: inout ReferenceReport,
        cache: inout [Digest: Result<Digest, any Error>]
    ) async {
        guard let config = parsed.config, ManifestMediaTypes.imageConfigs.contains(config.mediaType), contents.contains(config.digest) else {
            return
        }
        let repository = manifest.repository
        let expected: [String]
        do {
            let bytes = try await contents.bytes(of: config.digest)
            guard let ids = try JSONDecoder().decode(ImageConfig.self, from: Data(bytes)).rootfs?.diffIDs else {
                report.add(.configUnreadable, repository, manifest: manifest.digest, digest: "\(config.digest)", "image config has no rootfs.diff_ids")
                return
            }
            expected = ids
        } catch {
            report.add(.configUnreadable, repository, manifest: manifest.digest, digest: "\(config.digest)", "image config cannot be read: \(error)")
            return
        }
        if expected.count != parsed.layers.count {
            report.add(.diffIDMismatch, repository, manifest: manifest.digest, digest: "\(config.digest)",
                       "config lists \(expected.count) rootfs.diff_ids for \(parsed.layers.count) layers")
        }
        for (position, (layer, diffID)) in zip(parsed.layers, expected).enumerated() where contents.contains(layer.digest) {
            if cache[layer.digest] == nil {
                do {
                    cache[layer.digest] = .success(try await contents.uncompressedDigest(of: layer.digest))
                } catch {
                    cache[layer.digest] = .failure(error)
                }
            }
            switch cache[layer.digest] {
            case .success(let actual) where "\(actual)" != diffID:
                report.add(.diffIDMismatch, repository, manifest: manifest.digest, digest: "\(layer.digest)",
                           "layer \(position) (\(layer.digest)) uncompresses to \(actual), but the config's rootfs.diff_ids[\(position)] is \(diffID)")
            case .failure(let error):
                report.add(.diffIDMismatch, repository, manifest: manifest.digest, digest: "\(layer.digest)",
                           "layer \(position) (\(layer.digest)) cannot be uncompressed: \(error)")
            default:
                break
            }
        }
    }

    /// Drops what points at nothing: links to blobs the store does not have, manifests whose
    /// bytes are gone (their tags go with them), tags whose manifest is gone. Broken references
    /// of intact manifests (a lost layer) stay: only a new push can mend them.
    public func repair(_ report: ReferenceReport) async throws -> ReferenceReport.Repair {
        let removals = report.removals
        let counts = try await metadata.removeReferences(
            links: removals.links, manifestIDs: removals.manifestIDs, tags: removals.tags)
        return ReferenceReport.Repair(linksDropped: counts.links, manifestsDropped: counts.manifests, tagsDropped: counts.tags)
    }
}
