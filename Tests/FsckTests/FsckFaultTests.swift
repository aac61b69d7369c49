@testable import BlobStore
import Foundation
import TestSupport
@testable import Registry
import Testing

/// Faults injected into a real store: each is found with a message that says what and where,
/// and `--repair` leaves a store that opens and serves every blob that is still intact.
@Suite("stowage-fsck faults", .serialized)
struct FsckFaultTests {
    @Test func aCleanStorePassesEveryLevel() async throws {
        let fixture = try await FsckFixture.make()
        for level in ["structure", "scrub", "verify"] {
            let result = try FsckResult(fixture, ["--level", level, "--layers"])
            #expect(result.status == 0, "\(result)")
            #expect(result.document["clean"] as? Bool == true)
            #expect(result.storeFindings.isEmpty && result.referenceFindings.isEmpty, "\(result)")
        }
        let verify = try FsckResult(fixture, ["--level", "verify"])
        #expect(verify.statistics["blobsHashed"] as? Int == fixture.blobs.count)
        let human = try ChildRun.fsck(["--data-dir", fixture.data, "--level", "scrub"])
        #expect(human.status == 0 && human.output.contains("OK: no problems found."), "\(human)")
    }

    @Test func aFlippedPayloadBitIsFoundByScrubAndQuarantined() async throws {
        let fixture = try await FsckFixture.make()
        let victim = fixture.app.layers[0]
        let (pack, location) = try fixture.location(of: victim)
        try fixture.flipBit(in: pack, at: location.offset + UInt64(RecordHeader.size) + 1000)

        #expect(try FsckResult(fixture, ["--level", "structure"]).storeFindings.isEmpty, "structure reads no payload")
        let scrub = try FsckResult(fixture, ["--level", "scrub"])
        #expect(scrub.status == 1)
        let finding = try #require(scrub.store("payload-checksum").first, "\(scrub)")
        #expect(finding["digest"] as? String == "\(victim)")
        #expect(finding["offset"] as? UInt64 == location.offset)
        #expect((finding["message"] as? String)?.contains("payload block 0") == true, "\(finding)")
        #expect(scrub.references("blob-missing").first?["digest"] as? String == "\(victim)")
        #expect(scrub.affectedPackages == ["acme/app"])

        let repaired = try FsckResult(fixture, ["--level", "scrub", "--repair"])
        #expect(repaired.quarantined.compactMap { $0["digest"] as? String } == ["\(victim)"], "\(repaired)")
        #expect(repaired.storeFindings.isEmpty, "\(repaired)")
        #expect(repaired.status == 1, "the manifest still names the lost layer: \(repaired)")
        #expect(repaired.referenceKinds == ["blob-missing"], "\(repaired)")
        try await fixture.expectIntact(except: [victim])
    }

    @Test func aFlippedRecordHeaderBitIsFoundByStructure() async throws {
        let fixture = try await FsckFixture.make()
        let victim = fixture.web.config
        let (pack, location) = try fixture.location(of: victim)
        try fixture.flipBit(in: pack, at: location.offset + 40)

        let result = try FsckResult(fixture)
        #expect(result.status == 1)
        let finding = try #require(result.store("record-header").first, "\(result)")
        #expect(finding["offset"] as? UInt64 == location.offset)
        #expect(finding["digest"] as? String == "\(victim)", "the index names the blob the damaged header held")
        #expect((finding["message"] as? String)?.contains("record header checksum mismatch") == true, "\(finding)")

        let repaired = try FsckResult(fixture, ["--repair"])
        #expect(repaired.quarantined.count == 1, "\(repaired)")
        #expect(repaired.storeFindings.isEmpty, "\(repaired)")
        try await fixture.expectIntact(except: [victim])
    }

    @Test func aFlippedIndexBitIsRepairedByRebuildingTheIndex() async throws {
        let fixture = try await FsckFixture.make()
        try fixture.flipBit(in: fixture.publishedIndex, at: 100)

        let result = try FsckResult(fixture)
        #expect(result.status == 1)
        let finding = try #require(result.store("index-damaged").first, "\(result)")
        #expect(finding["path"] as? String == "index/current.idx")
        #expect((finding["message"] as? String)?.contains("checksum mismatch") == true, "\(finding)")

        let repaired = try FsckResult(fixture, ["--repair"])
        #expect(repaired.status == 0, "\(repaired)")
        try await fixture.expectIntact(except: [])
    }

    @Test func aTruncatedSoloPackLosesOnlyItsBlob() async throws {
        let fixture = try await FsckFixture.make()
        let victim = fixture.app.layers[1]
        let (pack, location) = try fixture.location(of: victim)
        try fixture.truncate(pack, to: try fixture.size(of: pack) - 1000)

        let result = try FsckResult(fixture)
        let finding = try #require(result.store("truncated-pack").first, "\(result)")
        #expect(finding["offset"] as? UInt64 == location.offset)
        #expect(finding["digest"] as? String == "\(victim)")
        #expect((finding["message"] as? String)?.contains("runs past the end of the file") == true, "\(finding)")

        let repaired = try FsckResult(fixture, ["--repair"])
        #expect(repaired.storeFindings.isEmpty, "\(repaired)")
        #expect(repaired.referenceKinds == ["blob-missing"], "\(repaired)")
        try await fixture.expectIntact(except: [victim])
        // Without the published index, opening recovers every pack again: the quarantine list
        // keeps the cut solo pack out, where its header alone would stop the open.
        try FileManager.default.removeItem(atPath: fixture.publishedIndex)
        try await fixture.expectIntact(except: [victim])
    }

    @Test func aTruncatedSharedPackIsCutAfterItsLastWholeRecord() async throws {
        let fixture = try await FsckFixture.make()
        let (pack, location) = try fixture.location(of: fixture.web.manifest)
        let index = try IndexFile.load(fixture.publishedIndex)
        var last = (digest: fixture.web.manifest, offset: location.offset)
        index.forEach { digest, entry in
            if entry.packID == location.packID, entry.offset > last.offset { last = (digest, entry.offset) }
        }
        try fixture.truncate(pack, to: last.offset + 200)

        let result = try FsckResult(fixture)
        let finding = try #require(result.store("truncated-pack").first, "\(result)")
        #expect(finding["offset"] as? UInt64 == last.offset)
        #expect(finding["digest"] as? String == "\(last.digest)")

        let repaired = try FsckResult(fixture, ["--repair"])
        #expect(repaired.storeFindings.isEmpty, "\(repaired)")
        let cut = (repaired.repair["store"] as? [String: Any])?["cut"] as? [String]
        #expect(cut?.first?.hasSuffix("at offset \(last.offset)") == true, "\(repaired)")
        try await fixture.expectIntact(except: [last.digest])
    }

    @Test func aDeletedPackIsReportedAndDroppedFromTheIndex() async throws {
        let fixture = try await FsckFixture.make()
        let victim = fixture.app.layers[1]
        let (pack, _) = try fixture.location(of: victim)
        try FileManager.default.removeItem(atPath: pack)

        let result = try FsckResult(fixture)
        let finding = try #require(result.store("missing-pack").first, "\(result)")
        #expect((finding["message"] as? String)?.contains("1 blob(s) indexed in it are lost") == true, "\(finding)")
        #expect(result.references("blob-missing").first?["digest"] as? String == "\(victim)")
        #expect(result.affectedPackages == ["acme/app"])

        let repaired = try FsckResult(fixture, ["--repair"])
        #expect(repaired.storeFindings.isEmpty, "\(repaired)")
        let references = repaired.repair["references"] as? [String: Any]
        #expect(references?["linksDropped"] as? Int == 1, "the link to the lost layer goes: \(repaired)")
        try await fixture.expectIntact(except: [victim])
    }

    @Test func aDeletedIndexIsRebuilt() async throws {
        let fixture = try await FsckFixture.make()
        try FileManager.default.removeItem(atPath: fixture.publishedIndex)

        let result = try FsckResult(fixture)
        #expect(result.status == 1)
        #expect(result.storeKinds == ["index-missing"], "\(result)")

        let repaired = try FsckResult(fixture, ["--repair"])
        #expect(repaired.status == 0, "\(repaired)")
        #expect(FileManager.default.fileExists(atPath: fixture.publishedIndex))
        try await fixture.expectIntact(except: [])
    }

    @Test func anIndexEntryPastTheEndOfItsPackIsFoundAndRebuilt() async throws {
        let fixture = try await FsckFixture.make()
        let victim = fixture.web.manifest
        let index = try IndexFile.load(fixture.publishedIndex)
        var entries: [(Digest, BlobLocation)] = []
        index.forEach { digest, location in
            var location = location
            if digest == victim { location.offset += 1 << 30 }
            entries.append((digest, location))
        }
        try Data(IndexFile.encode(entries: entries, coveredPacks: index.coveredPacks))
            .write(to: URL(fileURLWithPath: fixture.publishedIndex))

        let result = try FsckResult(fixture)
        let finding = try #require(result.store("entry-past-end").first, "\(result)")
        #expect(finding["digest"] as? String == "\(victim)")
        #expect((finding["message"] as? String)?.contains("points past the end of packs/pack-") == true, "\(finding)")

        let repaired = try FsckResult(fixture, ["--repair"])
        #expect(repaired.status == 0, "\(repaired)")
        try await fixture.expectIntact(except: [])
    }

    @Test func aTornTailIsCutAndItsWholeRecordsKept() async throws {
        let fixture = try await FsckFixture.make()
        // What a crash leaves: a shared pack nobody sealed, its last record half written.
        let id = try #require(try IndexFile.load(fixture.publishedIndex).coveredPacks.max()) + 1
        let kept = Array("a blob acknowledged before the crash".utf8)
        let keptDigest = Digest.of(kept)
        let torn = RecordEncoder.blob(digest: Digest.of([1, 2, 3]), stored: [1, 2, 3], logicalLength: 3, codec: .verbatim)
        var bytes = PackHeader(kind: .shared, packID: id).encoded()
        bytes += RecordEncoder.blob(digest: keptDigest, stored: kept, logicalLength: UInt64(kept.count), codec: .verbatim)
        let tornAt = UInt64(bytes.count)
        bytes += torn.prefix(100)
        try Data(bytes).write(to: URL(fileURLWithPath: DataDirectory(root: fixture.data).packPath(id)))

        let result = try FsckResult(fixture)
        let finding = try #require(result.store("torn-tail").first, "\(result)")
        #expect(finding["offset"] as? UInt64 == tornAt)
        #expect((finding["message"] as? String)?.contains("record header cut off") == true, "\(finding)")

        let repaired = try FsckResult(fixture, ["--repair"])
        #expect(repaired.status == 0, "\(repaired)")
        try await fixture.expectIntact(except: [])
        let store = try await BlobStore.open(at: fixture.data)
        #expect(try await store.bytes(of: keptDigest) == kept)
        try await store.close()
    }

    @Test func aManifestNamingAMissingBlobNamesItsPackage() async throws {
        let fixture = try await FsckFixture.make()
        let missing = Digest.of(Array("a layer that was never pushed".utf8))
        let manifest = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(fixture.app.config)","size":1},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#(missing)","size":29}]}"#.utf8)
        let store = try await BlobStore.open(at: fixture.data)
        let info = try await store.put(manifest)
        try await store.close()
        let parsed = try ManifestParser.parse(manifest, contentType: nil)
        try await Metadata(database: try SQLiteDatabase(path: RegistryServer.Configuration.metadataPath(in: fixture.data))).manifests.putManifest(
            ManifestRecord(digest: info.digest, mediaType: parsed.mediaType, size: info.size, blobs: parsed.blobs, created: 0),
            tags: ["broken"], in: RepositoryName(parsing: "acme/app"), requiring: [])

        let result = try FsckResult(fixture)
        #expect(result.status == 1)
        let finding = try #require(result.references("blob-missing").first, "\(result)")
        #expect(finding["repository"] as? String == "acme/app")
        #expect(finding["manifest"] as? String == "\(info.digest)")
        #expect(finding["digest"] as? String == "\(missing)")
        #expect(result.affectedPackages == ["acme/app"])
        #expect(result.storeFindings.isEmpty)

        let human = try ChildRun.fsck(["--data-dir", fixture.data])
        #expect(human.output.contains("affected packages: acme/app"), "\(human)")
        #expect(human.output.contains("names blob \(missing), which the store does not have"), "\(human)")
    }

    @Test func aTagNamingAMissingManifestIsDropped() async throws {
        let fixture = try await FsckFixture.make()
        try fixture.sql("DELETE FROM manifests WHERE digest = '\(fixture.web.manifest)'")

        let result = try FsckResult(fixture)
        #expect(result.status == 1)
        let finding = try #require(result.references("tag-dangling").first, "\(result)")
        #expect(finding["repository"] as? String == "acme/web")
        #expect(finding["tag"] as? String == "latest")

        let repaired = try FsckResult(fixture, ["--repair"])
        #expect((repaired.repair["references"] as? [String: Any])?["tagsDropped"] as? Int == 1, "\(repaired)")
        #expect(repaired.status == 0, "\(repaired)")
        try await fixture.expectIntact(except: [])
    }

    @Test func aLayerWhoseUncompressedDigestDisagreesWithTheConfigIsFoundWithLayers() async throws {
        let fixture = try await FsckFixture.make(wrongDiffID: true)
        #expect(try FsckResult(fixture).status == 0, "diff_ids are only read with --layers")

        let result = try FsckResult(fixture, ["--layers"])
        #expect(result.status == 1)
        let finding = try #require(result.references("diff-id-mismatch").first, "\(result)")
        #expect(finding["repository"] as? String == "acme/web")
        #expect(finding["digest"] as? String == "\(fixture.web.layers[0])")
        #expect((finding["message"] as? String)?.contains("rootfs.diff_ids[0]") == true, "\(finding)")
    }

    @Test func aSampleVerifiesTheSameShareEachRun() async throws {
        let fixture = try await FsckFixture.make()
        let first = try FsckResult(fixture, ["--level", "verify", "--sample", "10"])
        let second = try FsckResult(fixture, ["--level", "verify", "--sample", "10"])
        #expect(first.status == 0, "\(first)")
        let hashed = try #require(first.statistics["blobsHashed"] as? Int)
        #expect(hashed < fixture.blobs.count)
        #expect(second.statistics["blobsHashed"] as? Int == hashed)
        let refused = try ChildRun.fsck(["--data-dir", fixture.data, "--sample", "50"])
        #expect(refused.status == 64 && refused.error.contains("--sample applies to --level verify only"), "\(refused)")
    }
}

/// Faults beyond the issue's list: a pack whose own header is damaged, an upload that cannot
/// resume.
@Suite("stowage-fsck more faults", .serialized)
struct FsckMoreFaultTests {
    @Test func aPackWithADamagedHeaderGoesOutOfServiceWhole() async throws {
        let fixture = try await FsckFixture.make()
        let (pack, location) = try fixture.location(of: fixture.web.manifest)
        var lost = Set<Digest>()
        try IndexFile.load(fixture.publishedIndex).forEach { digest, entry in
            if entry.packID == location.packID { lost.insert(digest) }
        }
        try fixture.flipBit(in: pack, at: 2)

        let result = try FsckResult(fixture)
        let finding = try #require(result.store("pack-header").first, "\(result)")
        #expect((finding["message"] as? String)?.contains("not a pack file (bad magic)") == true, "\(finding)")

        let repaired = try FsckResult(fixture, ["--repair"])
        #expect(repaired.storeFindings.isEmpty, "\(repaired)")
        try await fixture.expectIntact(except: lost)
        try FileManager.default.removeItem(atPath: fixture.publishedIndex)
        try await fixture.expectIntact(except: lost)
    }

    @Test func anUploadWhoseStateFileIsDamagedIsDropped() async throws {
        let fixture = try await FsckFixture.make()
        let store = try await BlobStore.open(at: fixture.data)
        let upload = try await store.beginUpload()
        try await store.close()
        let state = DataDirectory(root: fixture.data).statePath(upload)
        try fixture.flipBit(in: state, at: 5)

        let result = try FsckResult(fixture)
        let finding = try #require(result.store("upload-state").first, "\(result)")
        #expect((finding["message"] as? String)?.contains("upload \(upload) cannot be resumed") == true, "\(finding)")

        let repaired = try FsckResult(fixture, ["--repair"])
        #expect(repaired.status == 0, "\(repaired)")
        #expect(!FileManager.default.fileExists(atPath: state))
        try await fixture.expectIntact(except: [])
    }

    @Test func anIndexChildAndALinkMissingFromTheRepositoryAreNamed() async throws {
        let fixture = try await FsckFixture.make()
        let metadata = Metadata(database: try SQLiteDatabase(path: RegistryServer.Configuration.metadataPath(in: fixture.data)))
        let app = try RepositoryName(parsing: "acme/app"), web = try RepositoryName(parsing: "acme/web")
        _ = try await metadata.packages.deleteVersion(fixture.app.manifest, in: app, now: UnixTime.now())
        _ = try await metadata.blobLinks.unlinkBlob(fixture.web.layers[0], in: web)

        let result = try FsckResult(fixture)
        #expect(result.status == 1)
        let child = try #require(result.references("child-missing").first, "\(result)")
        #expect(child["manifest"] as? String == "\(fixture.index)")
        #expect(child["digest"] as? String == "\(fixture.app.manifest)")
        let unlinked = try #require(result.references("blob-unlinked").first, "\(result)")
        #expect(unlinked["repository"] as? String == "acme/web")
        #expect(unlinked["digest"] as? String == "\(fixture.web.layers[0])")
        #expect(result.affectedPackages == ["acme/app", "acme/web"])
    }

    @Test func aRecordWhoseBytesDoNotMatchItsDigestIsFoundByVerifyOnly() async throws {
        let fixture = try await FsckFixture.make()
        // Checksums that hold over the wrong bytes: only the digest can tell.
        let id = try #require(try IndexFile.load(fixture.publishedIndex).coveredPacks.max()) + 1
        let claimed = Digest.of(Array("what the client pushed".utf8))
        let bytes = Array("what the disk holds instead".utf8)
        var pack = PackHeader(kind: .shared, packID: id).encoded()
        pack += RecordEncoder.blob(digest: claimed, stored: bytes, logicalLength: UInt64(bytes.count), codec: .verbatim)
        try Data(pack).write(to: URL(fileURLWithPath: DataDirectory(root: fixture.data).packPath(id)))

        #expect(try FsckResult(fixture, ["--level", "scrub"]).storeFindings.isEmpty)
        let result = try FsckResult(fixture, ["--level", "verify"])
        let finding = try #require(result.store("digest-mismatch").first, "\(result)")
        #expect(finding["digest"] as? String == "\(claimed)")
        #expect((finding["message"] as? String)?.contains("payload hashes to \(Digest.of(bytes))") == true, "\(finding)")

        let repaired = try FsckResult(fixture, ["--level", "verify", "--repair"])
        #expect(repaired.status == 0, "\(repaired)")
        try await fixture.expectIntact(except: [])
        let store = try await BlobStore.open(at: fixture.data)
        #expect(!store.contains(claimed), "a record that does not verify is never served")
        try await store.close()
    }
}
