/// The workloads the harness knows, with defaults sized so that each takes roughly 10–20 s
/// against docker-registry on a 2-core machine.
enum ScenarioKind: String, CaseIterable, Codable, Sendable {
    case pushMonolithic = "push-monolithic"
    case pushChunked = "push-chunked"
    case pull
    case smallPush = "small-push"
    case manifestPut = "manifest-put"
    case manifestGet = "manifest-get"
    case blobHead = "blob-head"
    case mount
    case tagList = "tag-list"
    case packagePage = "package-page"

    var summary: String {
        switch self {
        case .pushMonolithic: "large blob push: POST, then PUT ?digest= with the whole blob"
        case .pushChunked: "large blob push: POST, PATCH chunks with Content-Range, PUT ?digest="
        case .pull: "large blob GET, SHA-256 verified as it streams"
        case .smallPush: "small blob push (POST + PUT ?digest=)"
        case .manifestPut: "OCI image manifest PUT, a new tag each"
        case .manifestGet: "manifest GET by tag, digest verified"
        case .blobHead: "blob HEAD"
        case .mount: "cross-repository mount: POST ?mount=&from="
        case .tagList: "GET tags/list"
        case .packagePage: "GET the web page of a package with --package-versions versions (Stowage only)"
        }
    }

    /// Operations per run: blobs for the byte scenarios, requests (or request pairs) otherwise.
    var defaultCount: Int {
        switch self {
        case .pushMonolithic: 12
        case .pushChunked: 12
        case .pull: 24
        case .smallPush: 4000
        case .manifestPut: 8000
        case .manifestGet: 20000
        case .blobHead: 25000
        case .mount: 12000
        case .tagList: 10000
        case .packagePage: 200
        }
    }

    var defaultConcurrency: Int {
        switch self {
        case .pushMonolithic, .pushChunked, .pull, .packagePage: 1
        case .smallPush, .manifestPut, .manifestGet, .blobHead, .mount, .tagList: 16
        }
    }

    /// Whether throughput is measured in bytes (MB/s, CPU-s per GB) rather than operations.
    var movesBytes: Bool {
        switch self {
        case .pushMonolithic, .pushChunked, .pull: true
        case .smallPush, .manifestPut, .manifestGet, .blobHead, .mount, .tagList, .packagePage: false
        }
    }
}
