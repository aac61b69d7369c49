/// The measurements of one scenario, as the table shows them and `--json` writes them.
///
/// MB and GB are decimal (10^6 and 10^9 bytes). CPU figures are nil when no `--server-pid` was
/// given or /proc could not be read.
struct ScenarioResult: Codable, Sendable {
    var scenario: ScenarioKind
    var summary: String
    var count: Int
    var concurrency: Int
    var operations: Int
    var errors: Int
    var firstError: String?
    var seconds: Double
    var bytes: Int
    var megabytesPerSecond: Double?
    var operationsPerSecond: Double
    var p50Milliseconds: Double?
    var p99Milliseconds: Double?
    var serverCPUSeconds: Double?
    var serverCPUSecondsPerGB: Double?
    var serverCPUMillisecondsPerOperation: Double?
    var clientCPUSeconds: Double
    /// CPU the rest of the machine used meanwhile (busy time of all cores, less the server's and
    /// the client's): on a shared machine, how far the figures were disturbed.
    var otherCPUSeconds: Double?

    init(
        scenario: Scenario,
        outcome: LoadDriver.Outcome,
        serverCPUSeconds: Double?,
        clientCPUSeconds: Double,
        machineCPUSeconds: Double?
    ) {
        let seconds = Double(outcome.elapsed.components.seconds)
            + Double(outcome.elapsed.components.attoseconds) / 1e18
        let percentiles = outcome.latencies.percentilesMilliseconds([0.50, 0.99])
        self.scenario = scenario.kind
        self.summary = scenario.kind.summary
        self.count = scenario.count
        self.concurrency = scenario.concurrency
        self.operations = outcome.succeeded
        self.errors = outcome.failed
        self.firstError = outcome.firstError
        self.seconds = seconds
        self.bytes = outcome.bytes
        self.megabytesPerSecond = scenario.kind.movesBytes && seconds > 0 ? Double(outcome.bytes) / 1e6 / seconds : nil
        self.operationsPerSecond = seconds > 0 ? Double(outcome.succeeded) / seconds : 0
        self.p50Milliseconds = percentiles?[0]
        self.p99Milliseconds = percentiles?[1]
        self.serverCPUSeconds = serverCPUSeconds
        if let serverCPUSeconds, scenario.kind.movesBytes, outcome.bytes > 0 {
            self.serverCPUSecondsPerGB = serverCPUSeconds / (Double(outcome.bytes) / 1e9)
        }
        if let serverCPUSeconds, !scenario.kind.movesBytes, outcome.succeeded > 0 {
            self.serverCPUMillisecondsPerOperation = serverCPUSeconds * 1000 / Double(outcome.succeeded)
        }
        self.clientCPUSeconds = clientCPUSeconds
        if let machineCPUSeconds {
            self.otherCPUSeconds = max(0, machineCPUSeconds - clientCPUSeconds - (serverCPUSeconds ?? 0))
        }
    }

    /// A scenario whose setup failed, so that the report still says why it has no figures.
    init(scenario: Scenario, setupError: String) {
        self.scenario = scenario.kind
        self.summary = scenario.kind.summary
        self.count = scenario.count
        self.concurrency = scenario.concurrency
        self.operations = 0
        self.errors = 1
        self.firstError = setupError
        self.seconds = 0
        self.bytes = 0
        self.operationsPerSecond = 0
        self.clientCPUSeconds = 0
    }

    /// The headline figure: MB/s for byte scenarios, operations per second otherwise.
    var throughput: Double { megabytesPerSecond ?? operationsPerSecond }
}
