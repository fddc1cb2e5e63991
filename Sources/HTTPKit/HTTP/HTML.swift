/// HTML text helpers.
public enum HTML {
    /// Escapes text for HTML element content and attribute values.
    public static func escape(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.append(character)
            }
        }
        return output
    }
}

extension HTML {
    /// A small page with a heading and a message (both escaped) and optional trusted HTML after.
    public static func page(title: String, message: String, status: HTTPStatus, body extra: String = "") -> HTTPResponse {
        .html("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>\(escape(title))</title>
            <style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}</style>
            </head><body><h1>\(escape(title))</h1><p>\(escape(message))</p>\(extra)</body></html>
            """, status: status)
    }
}
