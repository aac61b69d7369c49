import Dispatch
import Synchronization

/// Checks a data directory without opening it as a store: no lock is taken, packs and index files
/// are only read, so a check may run beside a server that holds the directory.
///
/// ```swift
/// var checker = StoreChecker(path: "./data")
/// checker.level = .scrub
/// let report = try await checker.run()
/// for finding in report.findings { print(finding) }
/// ```
public struct StoreChecker: Sendable {
    public let path: String
    public var level: CheckLevel = .structure
    /// At the verify level, the percentage (0 to 100) of blobs whose digest is checked; the same
    /// blobs are chosen each run. Every payload is still scrubbed.
    public var samplePercent: Double?
    /// Records checked at once at the scrub and verify levels.
    public var jobs = Swift.max(1, System.processorCount)
    public let progress = CheckProgress()

    public init(path: String) {
        self.path = path
    }

    public func run() async throws -> StoreReport {
        let checker = self
        return try await BlockingIO.run { try checker.check() }
    }

    func check() throws -> StoreReport {
        let started = System.seconds()
        let directory = DataDirectory(root: path)
        guard FileSystem.exists(directory.packs) else {
            throw CheckError(description: "\(path) is not a Stowage data directory: it has no packs/ folder")
        }
        var state = CheckState(directory: directory, holder: LockHolder.current(dataDirectory: path))
        try state.loadFiles()
        state.checkFraming()
        state.deriveDeletions()
        state.checkPackIndexes()
        state.checkPublishedIndex()
        if level >= .scrub {
            try checkPayloads(&state)
        }
        state.checkUploads()
        state.statistics.seconds = System.seconds() - started
        return state.report(level: level)
    }

    /// Whether the verify level hashes this blob: all of them, or a fixed share chosen by digest.
    func isSampled(_ digest: Digest?) -> Bool {
        guard level == .verify, let digest else { return false }
        guard let samplePercent else { return true }
        let key = digest.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        return Double(key % 10_000) < samplePercent * 100
    }

    /// Scrubs (and verifies) every record, several at once, largest first so that the threads
    /// finish together.
    private func checkPayloads(_ state: inout CheckState) throws {
        struct Job: Sendable {
            let packID: UInt64
            let path: String
            let record: PackWalker.Record
            let hash: Bool
        }
        var jobs: [Job] = []
        for walk in state.walks.values {
            // Records collection deleted are never served again: damage in them harms nothing.
            for record in walk.records
            where !state.quarantine.contains(packID: walk.packID, offset: record.offset)
                && !state.deletions.contains(RecordPlace(packID: walk.packID, offset: record.offset)) {
                jobs.append(Job(packID: walk.packID, path: walk.path, record: record, hash: isSampled(record.header.digest)))
            }
        }
        jobs.sort { $0.record.header.storedLength > $1.record.header.storedLength }
        progress.start(expecting: jobs.reduce(0) { $0 + $1.record.header.storedLength })

        let next = Atomic<Int>(0)
        let outcomes = Mutex<[Int: Result<PayloadChecker.Outcome, any Error>]>([:])
        let progress = self.progress
        let work = jobs
        DispatchQueue.concurrentPerform(iterations: Swift.max(1, Swift.min(self.jobs, work.count))) { _ in
            let checker = PayloadChecker(progress: progress)
            // Files are opened per job, not per pack up front: a store has a pack per large
            // blob, more than a process may hold open.
            var file: SystemFile?
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < work.count else { return }
                let job = work[index]
                let outcome = Result {
                    let current = try file.flatMap { $0.path == job.path ? $0 : nil } ?? SystemFile.openForReading(job.path)
                    file = current
                    return try checker.check(current, job.record, hash: job.hash)
                }
                if case .success(.good) = outcome { continue }
                outcomes.withLock { $0[index] = outcome }
            }
        }
        for (index, outcome) in outcomes.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            let job = work[index]
            switch outcome {
            case .success(.good): continue
            case .success(.bad(let kind, let message)):
                state.payloadFailed(job.packID, job.record, kind: kind, message: message)
            case .failure(let error):
                state.payloadFailed(job.packID, job.record, kind: .unreadable, message: "\(error)")
            }
        }
        state.statistics.bytesScrubbed = work.reduce(0) { $0 + $1.record.header.storedLength }
        state.statistics.blobsHashed = work.filter(\.hash).count
        state.statistics.bytesHashed = work.filter(\.hash).reduce(0) { $0 + $1.record.header.logicalLength }
    }
}
