/// A task executor over something that runs closures one at a time in order (a serial dispatch
/// queue, the background thread): `withTaskExecutorPreference` on it runs a SQLite body on that
/// thread, off the cooperative pool, where its blocking calls belong.
final class JobExecutor: TaskExecutor {
    private let submit: @Sendable (@escaping @Sendable () -> Void) -> Void

    init(submit: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void) {
        self.submit = submit
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        submit { [self] in job.runSynchronously(on: asUnownedTaskExecutor()) }
    }
}
