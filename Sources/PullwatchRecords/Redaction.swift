/// Removes credentials from text before it can reach any output: URL userinfo
/// (`https://user:pass@host` → `https://REDACTED@host`), `Bearer`/`Basic` tokens, and values
/// of password/token/secret keys (`password=…`, `"token":"…"`, `--docker-password=…`).
public enum Redaction {
    /// The replacement text.
    public static let mask = "REDACTED"

    static let keyTriggers = ["password", "passwd", "token", "secret", "apikey", "api_key", "access_key", "auth"]

    /// `text` with credentials replaced by `REDACTED`. Cheap when there is nothing to do: one
    /// pass over the bytes (no `String` searching) decides which rewrites can apply.
    public static func redact(_ text: String) -> String {
        var original = text
        let plan: (url: Bool, scheme: Bool, key: Bool) = original.withUTF8 { scan($0) }
        guard plan.url || plan.scheme || plan.key else { return text }
        var bytes = Array(text.utf8)
        if plan.url { bytes = redactUserinfo(bytes) }
        if plan.scheme { bytes = redactAfterWords(bytes, words: ["bearer ", "basic "]) }
        if plan.key { bytes = redactKeyValues(bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    static let schemeWords: [[UInt8]] = [Array("bearer ".utf8), Array("basic ".utf8)]
    static let keyWords: [[UInt8]] = keyTriggers.map { Array($0.utf8) }

    /// Which rewrites could apply: `://` with an `@` after it; a `bearer `/`basic ` word; a
    /// key trigger word with a `=` or `:` anywhere (ASCII case-insensitive).
    static func scan(_ b: UnsafeBufferPointer<UInt8>) -> (url: Bool, scheme: Bool, key: Bool) {
        var sawSeparator = false, sawScheme = false, sawAt = false, url = false, scheme = false, key = false
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            switch c {
            case UInt8(ascii: "="), UInt8(ascii: ":"):
                sawSeparator = true
                if c == UInt8(ascii: ":"), i + 2 < n, b[i + 1] == UInt8(ascii: "/"), b[i + 2] == UInt8(ascii: "/") { sawScheme = true }
            case UInt8(ascii: "@"):
                if sawScheme { sawAt = true }
            case UInt8(ascii: "b"), UInt8(ascii: "B"):
                if !scheme { scheme = schemeWords.contains { matches(b, at: i, $0) } }
            case UInt8(ascii: "p"), UInt8(ascii: "P"), UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "s"), UInt8(ascii: "S"),
                 UInt8(ascii: "a"), UInt8(ascii: "A"):
                if !key { key = keyWords.contains { matches(b, at: i, $0) } }
            default: break
            }
            i += 1
        }
        url = sawScheme && sawAt
        return (url, scheme, key && sawSeparator)
    }

    static func matches(_ b: UnsafeBufferPointer<UInt8>, at i: Int, _ word: [UInt8]) -> Bool {
        guard i + word.count <= b.count else { return false }
        for j in 0..<word.count where lowerByte(b[i + j]) != word[j] { return false }
        return true
    }

    static func isTokenByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "~")
            || b == UInt8(ascii: "+") || b == UInt8(ascii: "/") || b == UInt8(ascii: "=") || b == UInt8(ascii: "%")
    }

    static func lowerByte(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b + 32 : b }

    static func matches(_ bytes: [UInt8], at i: Int, _ word: [UInt8]) -> Bool {
        guard i + word.count <= bytes.count else { return false }
        for j in 0..<word.count where lowerByte(bytes[i + j]) != word[j] { return false }
        return true
    }

    /// scheme://user:pass@host → scheme://REDACTED@host
    static func redactUserinfo(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        let sep = Array("://".utf8)
        while i < bytes.count {
            if matches(bytes, at: i, sep) {
                out += sep
                i += 3
                var j = i
                while j < bytes.count, bytes[j] != UInt8(ascii: "/"), bytes[j] != UInt8(ascii: "@"), bytes[j] > 0x20,
                      bytes[j] != UInt8(ascii: "\""), bytes[j] != UInt8(ascii: "'") { j += 1 }
                if j < bytes.count, bytes[j] == UInt8(ascii: "@"), j > i {
                    out += Array(mask.utf8)
                    i = j
                }
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return out
    }

    /// `Bearer abc.def` → `Bearer REDACTED`
    static func redactAfterWords(_ bytes: [UInt8], words: [String]) -> [UInt8] {
        let ws = words.map { Array($0.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        outer: while i < bytes.count {
            for w in ws where matches(bytes, at: i, w) && (i == 0 || !isTokenByte(bytes[i - 1])) {
                out += bytes[i..<(i + w.count)]
                i += w.count
                let start = i
                while i < bytes.count, isTokenByte(bytes[i]) { i += 1 }
                // A credential looks like one (base64/JWT: digits, capitals, '=', '+', '/', '.');
                // prose after the word ("basic auth credentials", "Bearer realm") is kept.
                let token = bytes[start..<i]
                let looksEncoded = token.contains { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A)
                    || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ".") }
                if token.count >= 6 && looksEncoded { out += Array(mask.utf8) } else { out += token }
                continue outer
            }
            out.append(bytes[i])
            i += 1
        }
        return out
    }

    /// `password=x`, `"secret":"x"`, `--docker-password=x`, `?access_token=x` → value REDACTED.
    static func redactKeyValues(_ bytes: [UInt8]) -> [UInt8] {
        let keys = keyTriggers.map { Array($0.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        outer: while i < bytes.count {
            for k in keys where matches(bytes, at: i, k) {
                // The key may be longer (docker-password, x-auth-token): take the whole word.
                var j = i + k.count
                while j < bytes.count, isKeyByte(bytes[j]) { j += 1 }
                var v = j
                var quotedKey = false
                if v < bytes.count, bytes[v] == UInt8(ascii: "\"") { v += 1; quotedKey = true }
                while v < bytes.count, bytes[v] == 0x20 { v += 1 }
                // `key=value` anywhere; `"key": value` only for quoted (JSON) keys, so prose such
                // as "failed to fetch oauth token: unexpected status" stays readable.
                guard v < bytes.count, bytes[v] == UInt8(ascii: "=") || (quotedKey && bytes[v] == UInt8(ascii: ":")) else { break }
                v += 1
                while v < bytes.count, bytes[v] == 0x20 { v += 1 }
                // Objects and lists (`"auths": {…}`) are walked into, not masked whole.
                if v < bytes.count, bytes[v] == UInt8(ascii: "{") || bytes[v] == UInt8(ascii: "[") { break }
                var quote: UInt8?
                if v < bytes.count, bytes[v] == UInt8(ascii: "\"") || bytes[v] == UInt8(ascii: "'") { quote = bytes[v]; v += 1 }
                let valueStart = v
                if let quote {
                    while v < bytes.count, bytes[v] != quote { v += 1 }
                } else {
                    while v < bytes.count, bytes[v] > 0x20, bytes[v] != UInt8(ascii: ","), bytes[v] != UInt8(ascii: "&"),
                          bytes[v] != UInt8(ascii: ";"), bytes[v] != UInt8(ascii: "}") { v += 1 }
                }
                guard v - valueStart >= 1 else { break }
                out += bytes[i..<valueStart]
                out += Array(mask.utf8)
                i = v
                continue outer
            }
            out.append(bytes[i])
            i += 1
        }
        return out
    }

    static func isKeyByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
    }
}
