#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// CPU time consumed by a process, from Linux's /proc.
enum ProcessCPU {
    /// User plus system CPU seconds of `pid` so far, nil when the process is gone or /proc is
    /// unreadable (the benchmark then simply reports no server CPU).
    static func seconds(pid: Int32) -> Double? {
        guard let stat = readFile("/proc/\(pid)/stat") else { return nil }
        // The command name (field 2) is in parentheses and may itself contain spaces or ')',
        // so fields are counted from the last ')'.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the name come state (field 3) ... utime (14) and stime (15).
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            return nil
        }
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) / ticksPerSecond
    }

    /// CPU seconds of this benchmark process, to show when the client rather than the server
    /// is what limits a scenario.
    static func ownSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Busy CPU seconds of the whole machine (all cores), so that a report can show how much
    /// of the machine something other than the server and the benchmark was using.
    static func machineSeconds() -> Double? {
        guard let stat = readFile("/proc/stat"), let line = stat.split(separator: "\n").first,
              line.hasPrefix("cpu ") else { return nil }
        // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
        let ticks = line.split(separator: " ").dropFirst().prefix(8).compactMap { Double($0) }
        guard ticks.count == 8 else { return nil }
        let busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7]
        return busy / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 { return nil }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
