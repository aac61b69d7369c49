import Prometheus

/// The registry's Prometheus metrics: requests by route, method and status with their latency,
/// and blob bytes in and out. Each server has its own collector registry, exposed at `/metrics`.
public final class RegistryMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let received: Counter
    private let sent: Counter

    static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
    ]

    public init() {
        received = registry.makeCounter(descriptor: .init(
            namespace: "stowage", metricName: "blob_bytes_received", unitName: "total",
            helpText: "Bytes of blob content received in uploads"))
        sent = registry.makeCounter(descriptor: .init(
            namespace: "stowage", metricName: "blob_bytes_sent", unitName: "total", helpText: "Bytes of blob content sent"))
    }

    /// One answered request; `latency` runs to the response head (bodies stream afterwards).
    func request(route: String, method: String, status: Int, latency: Duration) {
        let labels = [("route", route), ("method", method), ("status", String(status))]
        registry.makeCounter(
            descriptor: .init(namespace: "stowage", metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered"),
            labels: labels
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "stowage", metricName: "http_request_duration", unitName: "seconds",
                              helpText: "Time from request to response head"),
            labels: [("route", route), ("method", method)], buckets: Self.latencyBuckets
        ).record(latency)
    }

    /// One request to the cluster's object store (each try counts).
    func objectStoreRequest(operation: String, outcome: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "stowage", metricName: "object_store_requests", unitName: "total",
                helpText: "Requests sent to the S3 object store, by operation and outcome"),
            labels: [("operation", operation), ("outcome", outcome)]
        ).increment()
    }

    /// One garbage collection run: blobs and bytes per phase, and how long it took.
    func collection(_ report: CollectionReport) {
        let kind = report.dryRun ? "dry_run" : "run"
        registry.makeCounter(
            descriptor: .init(namespace: "stowage", metricName: "gc_runs", unitName: "total", helpText: "Garbage collection runs"),
            labels: [("kind", kind)]
        ).increment()
        registry.makeGauge(
            descriptor: .init(namespace: "stowage", metricName: "gc_last_duration", unitName: "seconds",
                              helpText: "Duration of the last garbage collection run"),
            labels: [("kind", kind)]
        ).set(report.seconds)
        guard !report.dryRun else { return }
        for (phase, blobs, bytes) in [
            ("marked", report.markedBlobs, report.markedBytes), ("condemned", report.condemnedBlobs, report.condemnedBytes),
            ("deleted", report.deletedBlobs, report.deletedBytes), ("compacted", report.compactedBlobs, report.compactedBytes),
        ] {
            registry.makeCounter(
                descriptor: .init(namespace: "stowage", metricName: "gc_blobs", unitName: "total", helpText: "Blobs per garbage collection phase"),
                labels: [("phase", phase)]
            ).increment(by: Int64(blobs))
            registry.makeCounter(
                descriptor: .init(namespace: "stowage", metricName: "gc_bytes", unitName: "total", helpText: "Bytes per garbage collection phase"),
                labels: [("phase", phase)]
            ).increment(by: Int64(bytes))
        }
        registry.makeCounter(
            descriptor: .init(namespace: "stowage", metricName: "gc_freed_bytes", unitName: "total", helpText: "Bytes of pack files deleted"),
        ).increment(by: Int64(report.bytesFreed))
    }

    func bytesReceived(_ count: Int) { received.increment(by: Int64(count)) }
    func bytesSent(_ count: Int) { sent.increment(by: Int64(count)) }

    /// The text exposition format.
    func exposition() -> [UInt8] { registry.emitToBuffer() }
}
