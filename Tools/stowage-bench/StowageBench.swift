import ArgumentParser

@main
struct StowageBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stowage-bench",
        abstract: "Benchmark an OCI registry on loopback through the Distribution HTTP API.",
        subcommands: [RunCommand.self, CompareCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
