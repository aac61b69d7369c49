import PostgresNIO

extension MetadataError {
    /// PostgreSQL's refusals in SQLite's terms: integrity violations (SQLSTATE class 23) are the
    /// caller's, serialization failures and deadlocks (40001, 40P01) are conflicts a write runs
    /// again for, an unreachable or stopping server is unavailable; the rest is the server's.
    init(_ error: PSQLError) {
        let message = error.serverInfo?[.message] ?? "\(error.code)"
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            switch state {
            case _ where state.hasPrefix("23"): self = .constraint(message)
            case "40001", "40P01": self = .conflict(message)
            // Connection failures (08), too many connections or no memory (53), and the server
            // shutting down or restarting (57P01 to 57P03).
            case _ where state.hasPrefix("08") || state.hasPrefix("53") || ["57P01", "57P02", "57P03"].contains(state):
                self = .unavailable(message)
            default: self = .database(code: 0, message: "\(state): \(message)")
            }
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
            .queryCancelled:
            self = .unavailable(message)
        default:
            self = .database(code: 0, message: message)
        }
    }

    /// Whether a write refused with this error may simply run again.
    var isConflict: Bool {
        if case .conflict = self { true } else { false }
    }

    var isUnavailable: Bool {
        if case .unavailable = self { true } else { false }
    }
}
