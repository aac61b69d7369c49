import ArgumentParser

/// Prints the tables of saved `--json` reports and, for two, the ratios between them.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Print saved reports side by side, with candidate ÷ baseline ratios."
    )

    @Argument(help: "The baseline report (a `run --json` output).")
    var baseline: String

    @Argument(help: "The report to compare with the baseline.")
    var candidate: String?

    func run() throws {
        let base = try BenchReport(jsonFile: baseline)
        print(ReportTable.render(base))
        guard let candidate else { return }
        let other = try BenchReport(jsonFile: candidate)
        print()
        print(ReportTable.render(other))
        print()
        print(ReportTable.renderRatios(baseline: base, candidate: other))
    }
}
