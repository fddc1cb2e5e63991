import HTTPKit

/// Where shoppers are sent back to, and the name shown on their pages.
public struct ShopBranding: Sendable {
    /// Shown as "Pay <merchant>" and "Back to <merchant>" (`MERCHANT_NAME`).
    public var merchantName: String?
    /// The shop's own URL for the "back to the shop" link on order pages (`SHOP_URL`).
    public var shopURL: String?

    /// Creates branding.
    public init(merchantName: String? = nil, shopURL: String? = nil) {
        self.merchantName = merchantName
        self.shopURL = shopURL
    }

    /// "the shop", or the merchant's name.
    var shopName: String { merchantName ?? "the shop" }
}

/// The HTML frame of every page shown to shoppers: readable at 375 px, 48 px tap targets,
/// 16 px inputs (no zoom on focus), no scripts, and a strict Content-Security-Policy.
enum ShopperPage {
    /// A page. `title` and `lead` are escaped; `body` is trusted HTML built by the caller with
    /// ``HTML/escape(_:)``. `formAction` lists the origins a form on the page may post to, and
    /// be redirected to after posting.
    /// `heading` is the page's `<h1>` when it differs from its `<title>` (an "Error: " prefix
    /// in the title only); `refreshSeconds` reloads the page by itself (a pending payment).
    static func render(
        title: String, heading: String? = nil, lead: String, body: String = "", status: HTTPStatus,
        formAction: [String] = [], refreshSeconds: Int? = nil
    ) -> HTTPResponse {
        let refresh = refreshSeconds.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? ""
        var response = HTTPResponse.html("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">\(refresh)
            <title>\(HTML.escape(title))</title>
            <style>
            *{box-sizing:border-box}
            body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:0 auto;padding:1.5rem 1rem;color:#1a1a1a}
            h1{font-size:1.5rem;margin:0 0 .5rem}
            p{margin:.5rem 0}
            label{display:block;font-weight:600;margin-top:1rem}
            input{display:block;width:100%;min-height:48px;font-size:16px;padding:.5rem .75rem;border:1px solid #767676;border-radius:6px}
            input[aria-invalid=true]{border:2px solid #b00020}
            .error{color:#b00020;margin:.25rem 0 0}
            .hint{color:#555;font-size:.875rem}
            form+form button{margin-top:.75rem}
            button,.button{display:flex;align-items:center;justify-content:center;width:100%;min-height:48px;margin-top:1.5rem;padding:.5rem 1rem;font-size:1rem;font-weight:600;line-height:1.3;border:0;border-radius:6px;background:#1a56db;color:#fff;text-align:center;text-decoration:none;cursor:pointer}
            .secondary{background:#eef2ff;color:#1a56db}
            dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;margin:1rem 0}
            dt{color:#555}dd{margin:0;overflow-wrap:anywhere}
            </style>
            </head><body><main><h1>\(HTML.escape(heading ?? title))</h1><p>\(HTML.escape(lead))</p>\(body)</main></body></html>
            """, status: status)
        let forms = formAction.isEmpty ? "'none'" : formAction.joined(separator: " ")
        response.headers.append(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action \(forms); frame-ancestors 'none'; base-uri 'none'"
        )
        response.headers.append("X-Frame-Options", "DENY")
        response.headers.append("Referrer-Policy", "no-referrer")
        return response
    }

    /// A link styled as a button, or nothing without a URL.
    static func link(_ text: String, to url: String?, secondary: Bool = false) -> String {
        guard let url else { return "" }
        return "<a class=\"button\(secondary ? " secondary" : "")\" href=\"\(HTML.escape(url))\">\(HTML.escape(text))</a>"
    }
}

/// Amounts for people, as the pages' English reads them: `£1,234.56`, `€5.00`, `$0.99`,
/// `2,990.00 NOK`, `¥1,500` — thousands grouped, and as many decimals as the currency has
/// (ISO 4217 minor units: none for JPY or ISK, three for KWD or BHD, otherwise two).
enum MoneyFormat {
    private static let noDecimals: Set<String> = ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]
    private static let threeDecimals: Set<String> = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]

    static func format(minorUnits: Int64, currency: String) -> String {
        let sign = minorUnits < 0 ? "-" : ""
        let magnitude = minorUnits.magnitude
        let decimals = noDecimals.contains(currency) ? 0 : threeDecimals.contains(currency) ? 3 : 2
        var divisor: UInt64 = 1
        for _ in 0..<decimals { divisor *= 10 }
        let fraction = String(magnitude % divisor)
        let number = grouped(magnitude / divisor) + (decimals == 0 ? "" : "." + String(repeating: "0", count: decimals - fraction.count) + fraction)
        switch currency {
        case "GBP": return "\(sign)£\(number)"
        case "EUR": return "\(sign)€\(number)"
        case "USD": return "\(sign)$\(number)"
        case "JPY": return "\(sign)¥\(number)"
        default: return "\(sign)\(number) \(currency)"
        }
    }

    /// 1234567 → "1,234,567".
    private static func grouped(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return text
    }
}
