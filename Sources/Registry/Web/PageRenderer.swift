import HTTPTypes
import Hummingbird
import Mustache

/// Renders the templates of `PageTemplates` into answers with the headers every page carries: a
/// Content-Security-Policy that allows this site's own stylesheet and script only (no inline
/// script, no frames, forms only to this site), no caching, no sniffing, no referrer elsewhere.
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    init() {
        var library = MustacheLibrary()
        for (name, text) in PageTemplates.all {
            // The templates are compiled in; one that does not parse is a bug the tests catch.
            do { try library.register(text, named: name) } catch { preconditionFailure("template \(name): \(error)") }
        }
        self.library = library
    }

    /// What the layout shows around every page.
    struct Chrome {
        var user: String?
        var isAdmin: Bool
        /// Whether the Deleted page is there for the viewer: signed in, or auth off.
        var manages: Bool
        var signIn: Bool
        var csrf: String
        var notice: String?
        let styleVersion = WebAssets.all["style.css"]?.version ?? ""
        let scriptVersion = WebAssets.all["app.js"]?.version ?? ""
    }

    private struct Context {
        let title: String
        let chrome: Chrome
        let page: Any
    }

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        .xFrameOptions: "DENY",
        .referrerPolicy: "same-origin",
        .cacheControl: "no-store",
    ]

    func render(_ template: String, title: String, chrome: Chrome, page: Any, status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(Context(title: title, chrome: chrome, page: page), withTemplate: template) ?? ""
        var headers = Self.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// 303 See Other: where a form's answer sends the browser.
    static func redirect(to location: String) -> Response {
        var headers = securityHeaders
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }
}
