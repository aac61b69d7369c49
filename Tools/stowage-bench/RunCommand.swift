import ArgumentParser
import AsyncHTTPClient
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs the scenarios against one registry and prints a table, or JSON with `--json`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run benchmark scenarios against one registry.",
        discussion: """
            Scenarios (default count, concurrency):
            \(ScenarioKind.allCases.map { "  \($0.rawValue) (\($0.defaultCount), \($0.defaultConcurrency)): \($0.summary)" }.joined(separator: "\n"))
            """
    )

    @Option(help: "Base URL of the registry; loopback only.")
    var registry = "http://127.0.0.1:5000"

    @Option(help: "Name of the registry in the report (default: its URL).")
    var label: String?

    @Option(name: .customLong("server-pid"), help: "The server's process id, to report the CPU time it spends on each scenario.")
    var serverPID: Int32?

    @Option(help: "Comma-separated scenarios to run, in the order given (default: all but package-page).")
    var scenarios: String?

    @Option(help: ArgumentHelp("Operations of a scenario (repeatable; all=N sets every scenario).", valueName: "scenario=n"))
    var count: [ScenarioSetting] = []

    @Option(help: ArgumentHelp("Concurrent clients of a scenario (repeatable; all=N sets every scenario).", valueName: "scenario=n"))
    var concurrency: [ScenarioSetting] = []

    @Option(help: "Multiply every count by this (e.g. 0.1 for a quick check).")
    var scale = 1.0

    @Option(help: "Stop starting new operations of a scenario after this many seconds.")
    var maxSeconds = 60.0

    @Option(name: .customLong("large-blob-mib"), help: "Size of the blobs of push-monolithic, push-chunked and pull, in MiB.")
    var largeBlobMiB = 256

    @Option(name: .customLong("chunk-mib"), help: "PATCH size of push-chunked, in MiB.")
    var chunkMiB = 16

    @Option(name: .customLong("small-blob-kib"), help: "Size of the small blobs, in KiB.")
    var smallBlobKiB = 4

    @Option(help: "Distinct blobs that pull reads in turn.")
    var pullBlobs = 2

    @Option(help: "Tags in the repository that tag-list lists.")
    var tags = 100

    @Option(help: "Versions of the package whose page package-page reads.")
    var packageVersions = 5000

    @Option(help: "Blobs that mount takes from its source repository; each target repository gets all of them.")
    var mountSources = 256

    @Option(help: "Seconds to wait between a scenario's setup and its timed part (a database catching up on its statistics).")
    var settle = 0

    @Option(help: "Seconds before a single request is abandoned.")
    var requestTimeout = 120

    @Option(help: "Seed of the blob content (default: random, so that every run pushes new blobs).")
    var seed: UInt64?

    @Flag(help: "Print the report as JSON instead of a table.")
    var json = false

    func validate() throws {
        guard scale > 0, maxSeconds > 0, largeBlobMiB > 0, chunkMiB > 0, smallBlobKiB > 0,
              pullBlobs > 0, tags > 0, packageVersions > 0, settle >= 0, mountSources > 0, requestTimeout > 0 else {
            throw ValidationError("sizes, counts and times must be positive")
        }
        _ = try plan()
    }

    func run() async throws {
        let url = try LoopbackURL(registry)
        let plan = try plan()
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http1Only
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(Int64(requestTimeout)))
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: plan.map(\.concurrency).max() ?? 1
        )
        let results = try await HTTPClient.withHTTPClient(configuration: configuration) { http in
            let client = RegistryClient(http: http, baseURL: url.description, requestTimeout: .seconds(Int64(requestTimeout)))
            try await client.checkAPI()
            return try await measure(plan, client: client)
        }
        let report = BenchReport(
            label: label ?? url.description,
            registry: url.description,
            serverPID: serverPID,
            largeBlobBytes: largeBlobMiB << 20,
            chunkBytes: chunkMiB << 20,
            smallBlobBytes: smallBlobKiB << 10,
            results: results
        )
        print(json ? try report.json() : ReportTable.render(report))
    }

    private func measure(_ plan: [Scenario], client: RegistryClient) async throws -> [ScenarioResult] {
        let sizes = BenchContext.Sizes(
            largeBlob: largeBlobMiB << 20,
            chunk: chunkMiB << 20,
            smallBlob: smallBlobKiB << 10,
            pullBlobs: pullBlobs,
            mountSources: mountSources,
            tags: tags,
            headBlobs: 16,
            packageVersions: packageVersions
        )
        let clock = ContinuousClock()
        let generated = clock.now
        ProgressLog.say("generating and hashing blob content …")
        let context = BenchContext(client: client, sizes: sizes, plan: plan, seed: seed ?? UInt64.random(in: 1...UInt64.max))
        let seconds = (clock.now - generated).components.seconds
        ProgressLog.say("  done in \(seconds) s; repositories under \(context.namespace)")

        var results: [ScenarioResult] = []
        for scenario in plan {
            ProgressLog.say("\(scenario.kind.rawValue): preparing")
            let operation: Scenario.Operation
            do {
                operation = try await scenario.prepare(in: context)
            } catch {
                ProgressLog.say("\(scenario.kind.rawValue): setup failed: \(error)")
                results.append(ScenarioResult(scenario: scenario, setupError: "\(error)"))
                continue
            }
            // Write back what earlier scenarios left dirty in the page cache, so that this
            // scenario neither pays for nor is slowed by their writeback.
            sync()
            if settle > 0 {
                ProgressLog.say("\(scenario.kind.rawValue): settling for \(settle) s")
                try await Task.sleep(for: .seconds(settle))
            }
            ProgressLog.say("\(scenario.kind.rawValue): \(scenario.count) operations, \(scenario.concurrency) client(s)")
            let driver = LoadDriver(count: scenario.count, concurrency: scenario.concurrency, timeLimit: .seconds(maxSeconds))
            let serverBefore = serverPID.flatMap { ProcessCPU.seconds(pid: $0) }
            let clientBefore = ProcessCPU.ownSeconds()
            let machineBefore = ProcessCPU.machineSeconds()
            let outcome = await driver.run(operation)
            let machineAfter = ProcessCPU.machineSeconds()
            let clientAfter = ProcessCPU.ownSeconds()
            let serverAfter = serverPID.flatMap { ProcessCPU.seconds(pid: $0) }
            let serverCPU = serverBefore.flatMap { before in serverAfter.map { $0 - before } }
            let result = ScenarioResult(
                scenario: scenario,
                outcome: outcome,
                serverCPUSeconds: serverCPU,
                clientCPUSeconds: clientAfter - clientBefore,
                machineCPUSeconds: machineBefore.flatMap { before in machineAfter.map { $0 - before } }
            )
            ProgressLog.say(
                "  \(result.operations) ok, \(result.errors) errors in \(ReportTable.fixed(result.seconds, 1)) s: "
                    + (result.megabytesPerSecond.map { "\(ReportTable.fixed($0, 1)) MB/s" }
                        ?? "\(ReportTable.fixed(result.operationsPerSecond, 1)) ops/s")
            )
            results.append(result)
        }
        return results
    }

    private func plan() throws -> [Scenario] {
        let kinds: [ScenarioKind]
        if let scenarios {
            kinds = try scenarios.split(separator: ",").map { name in
                guard let kind = ScenarioKind(rawValue: String(name)) else {
                    throw ValidationError("unknown scenario '\(name)'; known: \(ScenarioKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return kind
            }
            // A repeat would find its blobs already pushed and measure deduplication instead.
            guard Set(kinds).count == kinds.count else {
                throw ValidationError("a scenario may appear only once in --scenarios")
            }
        } else {
            // The package page is Stowage's own; a comparison with other registries leaves it out.
            kinds = ScenarioKind.allCases.filter { $0 != .packagePage }
        }
        return kinds.map { kind in
            let baseCount = count.last { $0.kinds.contains(kind) }?.value ?? kind.defaultCount
            let clients = concurrency.last { $0.kinds.contains(kind) }?.value ?? kind.defaultConcurrency
            return Scenario(kind: kind, count: max(1, Int((Double(baseCount) * scale).rounded())), concurrency: clients)
        }
    }
}
