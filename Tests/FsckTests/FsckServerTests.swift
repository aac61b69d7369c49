@testable import BlobStore
import Foundation
import TestSupport
import Testing

/// stowage-fsck and a running server: read-only checks run beside it, a repair refuses to, and a
/// repaired store is one the server serves every intact blob from.
@Suite("stowage-fsck and the server", .serialized)
struct FsckServerTests {
    @Test func aRepairIsRefusedWhileAServerHoldsTheDirectoryAndAReadOnlyCheckRuns() async throws {
        let fixture = try await FsckFixture.make()
        let server = try await Server(dataDirectory: fixture.data)
        defer { server.stop() }

        let refused = try ChildRun.fsck(["--data-dir", fixture.data, "--repair"])
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.error.contains("refusing to repair") && refused.error.contains("pid \(server.pid)"), "\(refused)")

        let readOnly = try FsckResult(fixture, ["--level", "verify", "--layers"])
        #expect(readOnly.status == 0, "\(readOnly)")
        #expect((readOnly.document["server"] as? String)?.hasPrefix("pid \(server.pid),") == true, "\(readOnly)")
        #expect((try await server.get("/v2/acme/app/manifests/v1")).status == 200, "the server still serves")
    }

    @Test func theServerServesEveryIntactBlobOfARepairedStore() async throws {
        let fixture = try await FsckFixture.make()
        let victim = fixture.web.config
        let (pack, location) = try fixture.location(of: victim)
        try fixture.flipBit(in: pack, at: location.offset + UInt64(RecordHeader.size) + 10)
        try FileManager.default.removeItem(atPath: fixture.publishedIndex)

        let repaired = try FsckResult(fixture, ["--level", "verify", "--repair"])
        #expect(repaired.storeFindings.isEmpty, "\(repaired)")
        #expect(repaired.affectedPackages == ["acme/web"], "\(repaired)")

        let server = try await Server(dataDirectory: fixture.data)
        defer { server.stop() }
        for (repository, image) in [("acme/app", fixture.app), ("acme/web", fixture.web)] {
            for digest in image.blobs.dropFirst() {
                let (status, body) = try await server.get("/v2/\(repository)/blobs/\(digest)")
                if digest == victim {
                    #expect(status == 404, "a quarantined blob is never served")
                } else {
                    #expect(status == 200 && body == fixture.blobs[digest], "\(repository) \(digest): \(status)")
                }
            }
            let (status, body) = try await server.get("/v2/\(repository)/manifests/\(image.manifest)")
            #expect(status == 200 && body == fixture.blobs[image.manifest])
        }
    }
}
