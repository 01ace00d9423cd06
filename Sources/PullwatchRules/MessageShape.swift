/// Message shapes for `unknown` failures: numbers, hashes, addresses, quoted names and image
/// references replaced by placeholders, so that many lines of one new failure read as one.
public enum MessageShape {
    /// The shape of `message`.
    public static func of(_ message: String) -> String {
        var out = ""
        var token = ""
        func flush() {
            guard !token.isEmpty else { return }
            out += classify(token)
            token = ""
        }
        var inQuote = false
        var quoted = ""
        for ch in message {
            if ch == "\"" {
                if inQuote { out += "\"" + (quoted.isEmpty ? "" : "<name>") + "\""; quoted = ""; inQuote = false }
                else { flush(); inQuote = true }
                continue
            }
            if inQuote { quoted.append(ch); continue }
            if ch == " " || ch == "," || ch == "(" || ch == ")" || ch == "[" || ch == "]" || ch == "=" || ch == "\t" {
                flush(); out.append(ch)
            } else {
                token.append(ch)
            }
        }
        if inQuote { out += "\"" + (quoted.isEmpty ? "" : "<name>") }
        flush()
        return out.count > 300 ? String(out.prefix(300)) + "…" : out
    }

    static func classify(_ token: String) -> String {
        var t = Substring(token)
        var suffix = ""
        while let last = t.last, last == ":" || last == "." || last == ";" { suffix = String(last) + suffix; t = t.dropLast() }
        if t.isEmpty { return token }
        if t.hasPrefix("sha256:") || t.hasPrefix("sha512:") { return "<digest>" + suffix }
        if t.hasPrefix("http://") || t.hasPrefix("https://") { return "<url>" + suffix }
        if t.allSatisfy({ $0.isNumber }) { return "<n>" + suffix }
        if t.count >= 8, t.allSatisfy({ $0.isHexDigit || $0 == "-" }), t.contains(where: { $0.isNumber }) { return "<hex>" + suffix }
        if t.split(separator: ".").count == 4, t.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) { return "<ip>" + suffix }
        if t.first?.isNumber == true, t.allSatisfy({ $0.isNumber || $0 == ":" || $0 == "." || $0 == "s" || $0 == "m" || $0 == "h" }) {
            return "<n>" + suffix   // times and durations: 10:00, 1m0s, 2.5s
        }
        if t.contains("/"), t.contains("."), !t.hasPrefix("/") { return "<image>" + suffix }
        if t.contains(where: { $0.isNumber }), t.contains(where: { $0.isLetter }), t.count >= 6,
           t.filter({ $0.isNumber }).count * 3 >= t.count { return "<id>" + suffix }
        return token
    }
}
