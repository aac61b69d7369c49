import Foundation
import Registry

#if canImport(Glibc)
import Glibc
#endif

/// `STOWAGE_TEST_CRASH_AT=PHASE`: the process kills itself with SIGKILL when garbage collection
/// reaches that checkpoint (`purged`, `retained`, `marked`, `condemned`, `swept`,
/// `removed`, `compaction-copied`, `compaction-published`, `compacted`). The
/// crash tests use it to stop a real server at each phase; nothing else should set it.
enum CrashPoint {
    static func install(into configuration: inout RegistryServer.Configuration) {
        guard let phase = ProcessInfo.processInfo.environment["STOWAGE_TEST_CRASH_AT"], !phase.isEmpty else { return }
        configuration.registry.collection.checkpoint = { reached in
            if reached == phase { kill(getpid(), SIGKILL) }
        }
    }
}
