import Foundation
import HTTPTypes
import HummingbirdTesting
import Registry

/// A browser as far as the page tests need one: it keeps the cookies the pages set, and sends
/// forms with the CSRF token the last page carried.
final class PageClient: @unchecked Sendable {
    let registry: RegistryHarness
    private(set) var cookies: [String: String] = [:]
    /// The `_csrf` value of the last page that had a form.
    private(set) var csrf = ""
    private(set) var last: TestResponse?

    init(_ registry: RegistryHarness) {
        self.registry = registry
    }

    @discardableResult
    func get(_ path: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(.get, path, headers: headers, body: nil)
    }

    /// POSTs `fields` as a form, with the current CSRF token unless `csrf` says otherwise.
    @discardableResult
    func post(_ path: String, _ fields: [(String, String)] = [], csrf: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        var all = fields
        all.append(("_csrf", csrf ?? self.csrf))
        let body = all.map { "\(Self.encoded($0))=\(Self.encoded($1))" }.joined(separator: "&")
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await send(.post, path, headers: headers, body: Array(body.utf8))
    }

    /// Signs in through the form; returns the answer (303 on success).
    @discardableResult
    func signIn(_ user: String, _ token: String, next: String = "/") async throws -> TestResponse {
        try await get("/-/signin")
        return try await post("/-/signin", [("user", user), ("token", token), ("next", next)])
    }

    private func send(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields, body: [UInt8]?) async throws -> TestResponse {
        var headers = headers
        if !cookies.isEmpty {
            headers[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        let response = try await registry.request(method, path, headers: headers, body: body)
        for value in response.headers[values: .setCookie] {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0]), content = pair.count > 1 ? String(pair[1]) : ""
            if value.contains("Max-Age=0") || content.isEmpty { cookies[name] = nil } else { cookies[name] = content }
        }
        if let token = Self.firstMatch(#"name="_csrf" value="([^"]*)""#, in: response.text) { csrf = token }
        last = response
        return response
    }

    static func firstMatch(_ pattern: String, in text: String) -> String? {
        guard let expression = try? NSRegularExpression(pattern: pattern),
              let match = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let range = Range(match.range(at: 1), in: text)
        else { return nil }
        return String(text[range])
    }

    static func encoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
