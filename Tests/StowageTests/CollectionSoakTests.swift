import BlobStore
import Foundation
import Synchronization
import TestSupport
import Testing

/// Pushers of images that share layers, pullers, deleters and restorers against a real server
/// while garbage collection runs in a loop with a short grace period (12 s: the grace period is
/// the time a client may take between pushing a layer and pushing the manifest that names it,
/// and beside the whole suite a push took over 8 s on two cores). Nothing referenced may ever be
/// missing; at the end, with everything deleted and the windows passed, the data directory (or
/// the bucket) is back to about its empty size. `STOWAGE_SOAK_SECONDS` sets the length (default
/// 15). One backend at a time: three soaks beside the whole suite (and three Ceph daemons)
/// starved each other of the two cores.
/// The layers and each worker's choices come from a printed seed (`STOWAGE_TEST_SEED` replays it;
/// the interleaving of the workers is the machine's).
@Suite("Garbage collection soak", .serialized)
struct CollectionSoakTests {
    static let environment = [
        "STOWAGE_GC_INTERVAL": "0", "STOWAGE_GC_GRACE_PERIOD": "12", "STOWAGE_GC_RESTORE_WINDOW": "4",
        "STOWAGE_GC_COMPACT_DEAD_SHARE": "0.3", "STOWAGE_STORAGE_PACK_SIZE_LIMIT": "1000000",
    ]

    /// Every image the soak pushed, and what may be done to it now. A puller holds an image so
    /// that no deleter takes it meanwhile: any failure of a held image's pull is a lost blob.
    final class Ledger: Sendable {
        enum State: Equatable {
            case live(pullers: Int)
            case deleting
            case deleted(Date)
            case restoring
            case gone
        }

        struct Image {
            let repository: String
            let digest: Digest
            var state: State
        }

        private let images = Mutex<[Image]>([])
        private let failures = Mutex<[String]>([])
        private let counts = Mutex<[String: Int]>([:])
        private let numbers = Mutex(0)

        /// A number no other push has, for unique tags.
        func nextNumber() -> Int {
            numbers.withLock { number in
                number += 1
                return number
            }
        }

        func add(_ repository: String, _ digest: Digest) {
            images.withLock { $0.append(Image(repository: repository, digest: digest, state: .live(pullers: 0))) }
        }

        /// Moves one image, picked with `random`, from a state `from` accepts to `to`; returns it
        /// and its index.
        func take(
            where accepts: (State) -> Bool, to: (State) -> State, using random: inout SeededGenerator
        ) -> (Int, Image)? {
            images.withLock { images in
                let candidates = images.indices.filter { accepts(images[$0].state) }
                guard let index = candidates.randomElement(using: &random) else { return nil }
                images[index].state = to(images[index].state)
                return (index, images[index])
            }
        }

        func set(_ index: Int, _ change: (State) -> State) {
            images.withLock { $0[index].state = change($0[index].state) }
        }

        func fail(_ message: String) { failures.withLock { $0.append(message) } }
        func count(_ name: String) { counts.withLock { $0[name, default: 0] += 1 } }
        var failureList: [String] { failures.withLock { $0 } }
        var countList: [String: Int] { counts.withLock { $0 } }
    }

    /// Each file's size under `path`, by relative name.
    static func fileSizes(_ path: String) -> [String: Int] {
        let enumerator = FileManager.default.enumerator(atPath: path)
        var sizes: [String: Int] = [:]
        while let name = enumerator?.nextObject() as? String {
            sizes[name] = (try? FileManager.default.attributesOfItem(atPath: path + "/" + name)[.size] as? Int) ?? 0
        }
        return sizes
    }

    static func directorySize(_ path: String) -> Int {
        fileSizes(path).values.reduce(0, +)
    }

    @Test(arguments: DatabaseBackend.allCases) func pushPullDeleteRestoreWhileCollecting(_ backend: DatabaseBackend) async throws {
        let seconds = Double(ProcessInfo.processInfo.environment["STOWAGE_SOAK_SECONDS"] ?? "") ?? 15
        let bucket = backend == .cluster ? try await RadosgwTestCluster.freshBucket() : nil
        let server = try await ServerProcess.start(
            arguments: try await backend.serveArguments(), environment: Self.environment.merging(bucket?.environment ?? [:]) { $1 })
        let client = WireClient(server: server)
        let emptySize = Self.directorySize(server.dataDirectory)
        // Layers shared between images and packages; one is large enough for a solo pack.
        var random = SeededGenerator(seed: try TestSeed.draw(for: "collection soak"))
        let layers = (0..<8).map { random.data($0 == 0 ? 1_200_000 : 20_000 + $0 * 10_000) }
        // One generator per worker, so that each one's choices do not depend on the others' timing.
        let seeds = (0..<7).map { _ in random.next() }
        let ledger = Ledger()
        // The soak runs its length, and on a slow machine (or beside the rest of the suite) on
        // until every kind of operation has happened and collection has deleted something while
        // the others worked (at most six times its length).
        let start = Date()
        let operations = ["push", "pull", "delete", "restore", "gc", "gc deleting"]
        let running: @Sendable () -> Bool = {
            let elapsed = Date().timeIntervalSince(start)
            let counts = ledger.countList
            return elapsed < seconds || (elapsed < 6 * seconds && operations.contains { counts[$0, default: 0] == 0 })
        }

        await withTaskGroup(of: Void.self) { group in
            for pusher in 0..<3 {
                group.addTask {
                    var random = SeededGenerator(seed: seeds[pusher])
                    while running() {
                        let number = ledger.nextNumber()
                        let repository = "soak/team\(pusher)/app\(number % 2)"
                        do {
                            let image = try await client.pushImage(
                                repository, tag: "t\(number)", layers: [layers.randomElement(using: &random)!, layers.randomElement(using: &random)!, random.data(4000)],
                                seed: "\(number)")
                            ledger.add(repository, image.digest)
                            ledger.count("push")
                        } catch {
                            ledger.fail("push \(repository):t\(number): \(error)")
                        }
                    }
                }
            }
            for puller in 0..<2 {
                group.addTask {
                    var random = SeededGenerator(seed: seeds[3 + puller])
                    while running() {
                        guard let (index, image) = ledger.take(
                            where: { if case .live = $0 { true } else { false } },
                            to: { if case .live(let pullers) = $0 { .live(pullers: pullers + 1) } else { $0 } }, using: &random)
                        else {
                            try? await Task.sleep(for: .milliseconds(20))
                            continue
                        }
                        do {
                            try await client.pull(image.repository, image.digest)
                            ledger.count("pull")
                        } catch {
                            ledger.fail("pull \(image.repository)@\(image.digest): \(error)")
                        }
                        ledger.set(index) { if case .live(let pullers) = $0 { .live(pullers: pullers - 1) } else { $0 } }
                    }
                }
            }
            group.addTask {
                var random = SeededGenerator(seed: seeds[5])
                while running() {
                    try? await Task.sleep(for: .milliseconds(60))
                    guard let (index, image) = ledger.take(where: { $0 == .live(pullers: 0) }, to: { _ in .deleting }, using: &random)
                    else { continue }
                    // The deletion's time is taken before the request: on a loaded machine the answer
                    // can come more than a second after the server recorded it, and the restorer's
                    // allowance for a window that has passed counts from this time.
                    let sent = Date()
                    let status = try? await server.request("DELETE", "/api/v1/packages/\(image.repository)/versions/\(image.digest)").status
                    if status != 204 { ledger.fail("delete \(image.repository)@\(image.digest): \(String(describing: status))") }
                    ledger.set(index) { _ in .deleted(sent) }
                    ledger.count("delete")
                }
            }
            group.addTask {
                var random = SeededGenerator(seed: seeds[6])
                while running() {
                    try? await Task.sleep(for: .milliseconds(400))
                    let recent = Date().addingTimeInterval(-1)
                    guard let (index, image) = ledger.take(
                        where: { if case .deleted(let when) = $0 { when > recent } else { false } }, to: { _ in .restoring },
                        using: &random)
                    else { continue }
                    let status = try? await server.request("POST", "/api/v1/packages/\(image.repository)/versions/\(image.digest)/restore").status
                    if status == 204 {
                        ledger.set(index) { _ in .live(pullers: 0) }
                        ledger.count("restore")
                    } else if [404, 410].contains(status), Date().timeIntervalSince(recent) > 4 {
                        // A loaded machine answered after the window had passed (4 s since the
                        // deletion, which came after `recent`): gone for good, rightly.
                        ledger.set(index) { _ in .gone }
                    } else {
                        ledger.fail("restore \(image.repository)@\(image.digest) within the window: \(String(describing: status))")
                        ledger.set(index) { _ in .gone }
                    }
                }
            }
            group.addTask {
                while running() {
                    do {
                        let report = try await client.collect()
                        ledger.count("gc")
                        if (report["deletedBlobs"] as? Int ?? 0) > 0 { ledger.count("gc deleting") }
                    } catch {
                        ledger.fail("gc: \(error)")
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }

        let failures = ledger.failureList
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(5)); server errors: \(server.standardError.split(separator: "\n").filter { $0.contains("error") }.prefix(10))")
        let counts = ledger.countList
        for operation in operations {
            #expect(counts[operation, default: 0] > 0, "no \(operation) happened: \(counts)")
        }

        // Everything deleted; once the restore window and the grace period have passed, the
        // space comes back.
        let packages = try await server.request("GET", "/api/v1/packages")
        let names = (try JSONSerialization.jsonObject(with: packages.body) as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(!names.isEmpty)
        for name in names {
            #expect(try await server.request("DELETE", "/api/v1/packages/\(name)").status == 204)
        }
        let fullSize = Self.directorySize(server.dataDirectory)
        let fullBucket = try await bucket?.usage() ?? (objects: 0, bytes: 0)
        // Metadata times are whole seconds: the window, then the grace period, pass within a
        // few runs a second apart.
        var report: [String: Any] = [:]
        for _ in 0..<40 {
            try await Task.sleep(for: .seconds(1))
            report = try await client.collect()
            if report["blobs"] as? Int == 0 { break }
        }
        report = try await client.collect(dryRun: true)
        let finalSize = Self.directorySize(server.dataDirectory)
        #expect(report["blobs"] as? Int == 0, "every blob collected: \(report)")
        if bucket != nil {
            // On a cluster the bytes were in the bucket: its objects go with the blobs.
            let finalBucket = try await bucket?.usage() ?? (objects: 0, bytes: 0)
            #expect(fullBucket.objects > 0 && finalBucket.objects == 0 && finalBucket.bytes == 0, "bucket before \(fullBucket), after \(finalBucket)")
        }
        // What is left is the database's free pages: the packs are all gone.
        #expect(Self.fileSizes(server.dataDirectory).keys.filter { $0.hasSuffix(".pack") }.isEmpty)
        #expect(
            finalSize < emptySize + 1_000_000,
            "empty \(emptySize) bytes, full \(fullSize), after collection \(finalSize): \(Self.fileSizes(server.dataDirectory))")
        #expect(await server.stop() == 0)
    }
}
