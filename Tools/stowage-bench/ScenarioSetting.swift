import ArgumentParser

/// A `NAME=VALUE` option such as `--count small-push=2000`; `all=VALUE` sets every scenario.
struct ScenarioSetting: ExpressibleByArgument, Sendable {
    let kinds: [ScenarioKind]
    let value: Int

    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let value = Int(parts[1]), value > 0 else { return nil }
        if parts[0] == "all" {
            kinds = ScenarioKind.allCases
        } else if let kind = ScenarioKind(rawValue: String(parts[0])) {
            kinds = [kind]
        } else {
            return nil
        }
        self.value = value
    }
}
