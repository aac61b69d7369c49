/// Renders reports as fixed-width text tables: one per registry, and one of ratios when two
/// registries ran the same scenarios.
enum ReportTable {
    static func render(_ report: BenchReport) -> String {
        let name = report.label == report.registry ? report.label : "\(report.label)  \(report.registry)"
        var lines = [name + (report.serverPID.map { "  (server pid \($0))" } ?? "")]
        let header = ["scenario", "conc", "ops", "err", "s", "MB/s", "ops/s", "p50 ms", "p99 ms",
                      "srv CPU-s", "CPU-s/GB", "CPU-ms/op", "cli CPU-s", "other CPU-s"]
        let rows = report.results.map { result in
            [
                result.scenario.rawValue,
                "\(result.concurrency)",
                "\(result.operations)",
                "\(result.errors)",
                fixed(result.seconds, 1),
                fixed(result.megabytesPerSecond, 1),
                fixed(result.operationsPerSecond, 1),
                fixed(result.p50Milliseconds, 2),
                fixed(result.p99Milliseconds, 2),
                fixed(result.serverCPUSeconds, 2),
                fixed(result.serverCPUSecondsPerGB, 2),
                fixed(result.serverCPUMillisecondsPerOperation, 3),
                fixed(result.clientCPUSeconds, 2),
                fixed(result.otherCPUSeconds, 2),
            ]
        }
        lines += columns([header] + rows)
        lines.append("(MB and GB are 10^6 and 10^9 bytes; latencies are per operation; other CPU-s is what the"
            + " rest of the machine used meanwhile)")
        for result in report.results {
            if let error = result.firstError {
                lines.append("  \(result.scenario.rawValue): \(result.errors) error(s), first: \(error)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `candidate ÷ baseline` per scenario both ran: above 1 is better for throughput, below 1
    /// is better for latency and CPU.
    static func renderRatios(baseline: BenchReport, candidate: BenchReport) -> String {
        let header = ["scenario", "unit", baseline.label, candidate.label, "ratio",
                      "p50 ratio", "p99 ratio", "srv CPU ratio"]
        let rows: [[String]] = baseline.results.compactMap { base in
            guard let other = candidate.results.first(where: { $0.scenario == base.scenario }) else { return nil }
            let cpuBase = base.serverCPUSecondsPerGB ?? base.serverCPUMillisecondsPerOperation
            let cpuOther = other.serverCPUSecondsPerGB ?? other.serverCPUMillisecondsPerOperation
            return [
                base.scenario.rawValue,
                base.scenario.movesBytes ? "MB/s" : "ops/s",
                fixed(base.throughput, 1),
                fixed(other.throughput, 1),
                ratio(other.throughput, base.throughput),
                ratio(other.p50Milliseconds, base.p50Milliseconds),
                ratio(other.p99Milliseconds, base.p99Milliseconds),
                ratio(cpuOther, cpuBase),
            ]
        }
        let title = "\(candidate.label) ÷ \(baseline.label)  (ratio > 1 is faster; p50, p99 and CPU"
            + " per GB or per operation < 1 is better)"
        return ([title] + columns([header] + rows)).joined(separator: "\n")
    }

    private static func columns(_ table: [[String]]) -> [String] {
        let widths = (0..<(table.first?.count ?? 0)).map { column in
            table.map { $0[column].count }.max() ?? 0
        }
        return table.map { row in
            row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                // Names read best left-aligned, figures right-aligned.
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
    }

    private static func ratio(_ numerator: Double?, _ denominator: Double?) -> String {
        guard let numerator, let denominator, denominator > 0 else { return "-" }
        return fixed(numerator / denominator, 2) + "x"
    }

    /// `value` with `decimals` digits after the point; written out by hand because
    /// FoundationEssentials has no `String(format:)`.
    static func fixed(_ value: Double?, _ decimals: Int) -> String {
        guard let value, value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let sign = value < 0 && scaled != 0 ? "-" : ""
        let whole = scaled / Int64(scale)
        guard decimals > 0 else { return "\(sign)\(whole)" }
        let fraction = String(scaled % Int64(scale))
        return "\(sign)\(whole)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
}
