import Foundation
import Hummingbird

/// One page request as the page handlers see it: the viewer, the form of a POST (its CSRF
/// token already checked), and how to answer.
struct PageRequest: Sendable {
    let request: Request
    let viewer: WebViewer
    let form: [String: [String]]
    let now: Int64
    /// `HOST[:PORT]` as clients name this registry: what pull commands start with.
    let host: String
    let renderer: PageRenderer

    /// Thrown where a page needs a signed-in viewer: a GET is sent to the sign-in page and back.
    struct SignInRequired: Error {}

    func query(_ name: String) -> String? {
        request.uri.queryParameters.get(name).map { String($0) }
    }

    func field(_ name: String) -> String? {
        form[name]?.first
    }

    /// The 1-based page number of `?page=`.
    var pageNumber: Int { query("page").flatMap(Int.init).map { max($0, 1) } ?? 1 }

    /// Requires a signed-in viewer, unless authentication is off.
    func requireSignedIn() throws {
        if !viewer.isOpen && viewer.account == nil { throw SignInRequired() }
    }

    func render(_ template: String, title: String, page: Any, status: HTTPResponse.Status = .ok) -> Response {
        let notice = query("notice").flatMap { Self.notices[$0] }
        let chrome = PageRenderer.Chrome(
            user: viewer.userName, isAdmin: viewer.isAdmin, manages: viewer.isOpen || viewer.account != nil,
            signIn: !viewer.isOpen && viewer.account == nil, csrf: viewer.csrf, notice: notice)
        return renderer.render(template, title: title, chrome: chrome, page: page, status: status)
    }

    /// What `?notice=` may say: fixed texts, so that a link cannot put words on a page.
    static let notices: [String: String] = [
        "signed-in": "You are signed in.",
        "visibility": "The visibility was saved.",
        "package-deleted": "The package was deleted. It can be restored from this list while the restore window lasts.",
        "version-deleted": "The version was deleted. It can be restored from Deleted while the restore window lasts.",
        "restored": "Restored.",
        "revoked": "The token was revoked.",
        "members": "The members were updated.",
        "collected": "Garbage collection ran.",
    ]

    /// `path?name=value&…` with the values percent-encoded; nil values are left out.
    static func link(_ path: String, _ parameters: [(String, String?)]) -> String {
        let pairs = parameters.compactMap { name, value in value.map { "\(name)=\(encoded($0))" } }
        return pairs.isEmpty ? path : path + "?" + pairs.joined(separator: "&")
    }

    static func encoded(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/:@")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

/// Page numbers over `total` items, `size` a page.
struct Pager {
    var number: Int
    var count: Int
    var previous: String?
    var next: String?
    let offset: Int

    init(total: Int, number: Int, size: Int, link: (Int) -> String) {
        count = max((total + size - 1) / size, 1)
        self.number = min(number, count)
        offset = (self.number - 1) * size
        previous = self.number > 1 ? link(self.number - 1) : nil
        next = self.number < count ? link(self.number + 1) : nil
    }

    /// The pager to show: none when everything fits on one page.
    var shown: Pager? { count > 1 ? self : nil }
}
