import BlobStore
import Foundation
import TestSupport
import Testing

/// Runs the built `stowage` binary as a user would.
@Suite("stowage digest")
struct DigestCommandTests {
    typealias Run = ChildRun

    static let executable = BuiltExecutable.url("stowage")

    static func run(_ arguments: [String], input: Data? = nil, environment: [String: String] = [:]) throws -> Run {
        try ChildRun.run(executable, arguments, input: input, environment: environment)
    }

    static func temporaryFile(_ bytes: [UInt8]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stowage-digest-\(UUID().uuidString)")
        try Data(bytes).write(to: url)
        return url
    }

    @Test func digestsFilesAndStandardInput() throws {
        let bytes = [UInt8]((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let file = try Self.temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(at: file) }

        let run = try Self.run(["digest", file.path, "-"], input: Data("abc".utf8))
        #expect(run.status == 0)
        #expect(run.output == "\(Digest.of(bytes))  \(file.path)\n\(Digest.of(Array("abc".utf8)))  -\n")
    }

    @Test func sha512OnRequest() throws {
        let run = try Self.run(["digest", "--algorithm", "sha512"], input: Data("abc".utf8))
        #expect(run.status == 0)
        #expect(run.output.hasPrefix("sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"))
    }

    @Test(arguments: SHA256Implementation.available)
    func everyImplementationThroughTheEnvironment(implementation: SHA256Implementation) throws {
        let run = try Self.run(["digest"], input: Data("abc".utf8), environment: ["STOWAGE_SHA256": implementation.rawValue])
        #expect(run.status == 0)
        #expect(run.output == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  -\n")
    }

    @Test func unknownImplementationIsAnError() throws {
        let run = try Self.run(["digest"], input: Data(), environment: ["STOWAGE_SHA256": "turbo"])
        #expect(run.status != 0)
        #expect(run.error.contains("STOWAGE_SHA256=turbo"))
    }

    @Test func missingFileIsAClearErrorAndTheOthersStillPrint() throws {
        let file = try Self.temporaryFile([1, 2, 3])
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try Self.run(["digest", "/nonexistent/layer.tar.gz", file.path])
        #expect(run.status == 1)
        #expect(run.error.contains("/nonexistent/layer.tar.gz: cannot open: No such file or directory"))
        #expect(run.output == "\(Digest.of([1, 2, 3] as [UInt8]))  \(file.path)\n")
    }

    @Test func unreadableDirectoryIsAnError() throws {
        let run = try Self.run(["digest", "/"])
        #expect(run.status == 1)
        #expect(run.error.contains("/: cannot read: Is a directory"))
    }
}
