/// Removes credentials from text before it can reach any output: URL userinfo
/// (`https://user:pass@host` → `https://REDACTED@host`), `Bearer`/`Basic` tokens, and values
/// of password/token/secret keys (`password=…`, `"token":"…"`, `--docker-password=…`).
public enum Redaction {
    /// The replacement text.
    public static let mask = "REDACTED"

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

    /// Which rewrites apply: `://` with an `@` after it; a `bearer `/`basic ` word; a credential
    /// key with a value (`keyValue`), looked for only at the separators (`=`, `:`), which are
    /// rarer than the letters the key words start with.
    static func scan(_ b: UnsafeBufferPointer<UInt8>) -> (url: Bool, scheme: Bool, key: Bool) {
        var sawScheme = false, sawAt = false, scheme = false, key = false
        var i = 0
        let n = b.count
        while i < n {
            switch b[i] {
            case UInt8(ascii: ":"):
                if i + 2 < n, b[i + 1] == UInt8(ascii: "/"), b[i + 2] == UInt8(ascii: "/") { sawScheme = true }
                if !key { key = keyEnds(b, at: i) }
            case UInt8(ascii: "="):
                if !key { key = keyEnds(b, at: i) }
            case UInt8(ascii: "@"):
                if sawScheme { sawAt = true }
            case UInt8(ascii: "b"), UInt8(ascii: "B"):
                if !scheme { scheme = schemeWords.contains { matches(b, at: i, $0) } }
            default: break
            }
            i += 1
        }
        return (sawScheme && sawAt, scheme, key)
    }

    /// Whether a credential key with a value (`keyValue`) ends at the separator `sep`: its
    /// trigger word lies in the run of key bytes before it (then an optional quote and spaces).
    static func keyEnds(_ b: UnsafeBufferPointer<UInt8>, at sep: Int) -> Bool {
        var end = sep
        while end > 0, b[end - 1] == 0x20 { end -= 1 }
        let quoted = end > 0 && b[end - 1] == UInt8(ascii: "\"")
        // `key: value` only for a quoted (JSON) key: prose's colons end here.
        if !quoted && b[sep] == UInt8(ascii: ":") { return false }
        if quoted { end -= 1 }
        var t = end
        while t > 0, isKeyByte(b[t - 1]) { t -= 1 }
        while t + 4 <= end {
            if keyValue(b, at: t) != nil { return true }
            t += 1
        }
        return false
    }

    static func matches(_ b: UnsafeBufferPointer<UInt8>, at i: Int, _ word: [UInt8]) -> Bool {
        guard i + word.count <= b.count else { return false }
        for j in 0..<word.count where lowerByte(b[i + j]) != word[j] { return false }
        return true
    }

    static func matches(_ b: UnsafeBufferPointer<UInt8>, at i: Int, _ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard i + count <= b.count else { return false }
        let w = word.utf8Start
        for j in 0..<count where lowerByte(b[i + j]) != w[j] { return false }
        return true
    }

    /// The length of the credential key word starting at `i` (password, passwd, token, secret,
    /// auth, apikey, api_key, access_key; ASCII case-insensitive), or nil.
    static func keyWord(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        switch lowerByte(b[i]) {
        case UInt8(ascii: "p"):
            if matches(b, at: i, "password") { return 8 }
            if matches(b, at: i, "passwd") { return 6 }
        case UInt8(ascii: "t"):
            if matches(b, at: i, "token") { return 5 }
        case UInt8(ascii: "s"):
            if matches(b, at: i, "secret") { return 6 }
        case UInt8(ascii: "a"):
            if matches(b, at: i, "auth") { return 4 }
            if matches(b, at: i, "apikey") { return 6 }
            if matches(b, at: i, "api_key") { return 7 }
            if matches(b, at: i, "access_key") { return 10 }
        default: break
        }
        return nil
    }

    /// If a credential key with a value starts at `i` (`password=x`, `"secret":"x"`,
    /// `--docker-password=x`, `?access_token=x`): the range of the value. The key may be
    /// longer than its trigger (docker-password, x-auth-token). `key=value` anywhere; `"key":
    /// value` only for quoted (JSON) keys, so prose such as "failed to fetch oauth token:
    /// unexpected status" stays readable. Objects and lists (`"auths": {…}`) are walked into.
    static func keyValue(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Range<Int>? {
        guard let k = keyWord(b, at: i) else { return nil }
        let n = b.count
        var v = i + k
        while v < n, isKeyByte(b[v]) { v += 1 }
        var quotedKey = false
        if v < n, b[v] == UInt8(ascii: "\"") { v += 1; quotedKey = true }
        while v < n, b[v] == 0x20 { v += 1 }
        guard v < n, b[v] == UInt8(ascii: "=") || (quotedKey && b[v] == UInt8(ascii: ":")) else { return nil }
        if b[v] == UInt8(ascii: ":") {
            // A JSON key is quoted on both sides: a URL ending in the word before `": ` is not
            // one (Go's `Post "https://auth.docker.io/token": EOF`).
            var s = i
            while s > 0, isKeyByte(b[s - 1]) { s -= 1 }
            guard s > 0, b[s - 1] == UInt8(ascii: "\"") else { return nil }
        }
        v += 1
        while v < n, b[v] == 0x20 { v += 1 }
        if v < n, b[v] == UInt8(ascii: "{") || b[v] == UInt8(ascii: "[") { return nil }
        var quote: UInt8?
        if v < n, b[v] == UInt8(ascii: "\"") || b[v] == UInt8(ascii: "'") { quote = b[v]; v += 1 }
        let valueStart = v
        if let quote {
            while v < n, b[v] != quote { v += 1 }
        } else {
            while v < n, b[v] > 0x20, b[v] != UInt8(ascii: ","), b[v] != UInt8(ascii: "&"),
                  b[v] != UInt8(ascii: ";"), b[v] != UInt8(ascii: "}") { v += 1 }
        }
        return v > valueStart ? valueStart..<v : nil
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

    /// Every credential key's value (`keyValue`) → REDACTED.
    static func redactKeyValues(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBufferPointer { b in
            var out: [UInt8] = []
            out.reserveCapacity(b.count)
            var i = 0
            while i < b.count {
                if let value = keyValue(b, at: i) {
                    out += UnsafeBufferPointer(rebasing: b[i..<value.lowerBound])
                    out += mask.utf8
                    i = value.upperBound
                    continue
                }
                out.append(b[i])
                i += 1
            }
            return out
        }
    }

    static func isKeyByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
    }
}
