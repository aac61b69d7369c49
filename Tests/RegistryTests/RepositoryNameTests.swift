import Registry
import Testing

@Suite("Repository names")
struct RepositoryNameTests {
    @Test(arguments: [
        "alice/app", "octo-org/octo-repo/octo-image", "a", "a/b/c/d/e", "foo.bar/baz_qux", "a__b/c--d---e", "x1/2y",
    ])
    func acceptsSpecGrammar(name: String) throws {
        let parsed = try RepositoryName(parsing: name)
        #expect(parsed.description == name)
        #expect(parsed.owner == name.split(separator: "/")[0])
    }

    @Test(arguments: [
        ("", RepositoryNameError.empty),
        ("alice//app", .emptyComponent(index: 1)),
        ("/alice", .emptyComponent(index: 0)),
        ("alice/", .emptyComponent(index: 1)),
        ("alice/../bob", .dotComponent("..")),
        ("alice/./app", .dotComponent(".")),
        ("Alice/app", .uppercase(component: "Alice")),
        ("alice/ap p", .invalidCharacter(" ", component: "ap p")),
        ("alice/-app", .leadingSeparator(component: "-app")),
        ("alice/app.", .trailingSeparator(component: "app.")),
        ("alice/a..b", .invalidSeparator("..", component: "a..b")),
        ("alice/a___b", .invalidSeparator("___", component: "a___b")),
        ("alice/a._b", .invalidSeparator("._", component: "a._b")),
        (String(repeating: "a", count: 256), .tooLong(256)),
    ])
    func rejectsWithTheRuleBroken(name: String, expected: RepositoryNameError) {
        #expect(throws: expected) { try RepositoryName(parsing: name) }
    }

    @Test func acceptsTheLongestName() throws {
        #expect(throws: Never.self) { try RepositoryName(parsing: String(repeating: "a", count: 255)) }
    }
}
