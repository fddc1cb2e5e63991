import ServiceSupport
import Testing

@Suite struct AbsoluteHTTPURLTests {
    @Test(arguments: ["http://a", "https://shop.example/x?y=1", "HTTP://127.0.0.1:3000/", "https://user@host:8443", "http://[::1]:3000/x"])
    func accepts(_ url: String) { #expect(AbsoluteHTTPURL.isValid(url)) }

    @Test func originsForContentSecurityPolicy() {
        #expect(AbsoluteHTTPURL.origin(of: "HTTP://User@Shop.Example:8443/return?o=1") == "http://shop.example:8443")
        #expect(AbsoluteHTTPURL.origin(of: "http://[::1]:3000/x") == "http://[::1]:3000")
        #expect(AbsoluteHTTPURL.origin(of: "http://a;b/") == nil)
        #expect(AbsoluteHTTPURL.origin(of: "no-scheme") == nil)
    }

    @Test(arguments: ["ftp://a", "http://", "https:///path", "http://a b", "http://a\"b", "//a", "javascript:alert(1)", "http://:80/", "http://a/<x>"])
    func refuses(_ url: String) { #expect(!AbsoluteHTTPURL.isValid(url)) }
}
