import PullwatchRecords

/// Drafts rule files for the `unknown` failures of a scan (`pullwatch rules suggest`): one
/// rule per message shape of the innermost error, with the lines seen as samples, in YAML
/// that `pullwatch rules test` accepts as it stands. The user then sets the cause.
public struct RuleDraftBuilder {
    /// One message shape and what was seen of it.
    public struct Shape {
        /// The innermost error with numbers, ids and names replaced (`MessageShape`).
        public var shape: String
        /// Failures with this shape.
        public var count: Int
        /// The first messages seen (at most `samplesPerShape`), as the samples.
        public var messages: [String]
        /// The innermost error of the first message.
        public var innermost: String
    }

    /// Samples kept per shape.
    public var samplesPerShape = 3
    private var shapes: [String: Shape] = [:]
    private var order: [String] = []

    /// An empty builder.
    public init() {}

    /// Adds the message of an `unknown` failure.
    public mutating func add(message: String) {
        let inner = RuleDraftBuilder.innermostError(of: message)
        let key = MessageShape.of(inner)
        if shapes[key] == nil {
            shapes[key] = Shape(shape: key, count: 0, messages: [], innermost: inner)
            order.append(key)
        }
        shapes[key]!.count += 1
        if shapes[key]!.messages.count < samplesPerShape, !shapes[key]!.messages.contains(message) {
            shapes[key]!.messages.append(message)
        }
    }

    /// The shapes, most frequent first (ties: first seen).
    public var ranked: [Shape] {
        order.enumerated().sorted { a, b in
            let ca = shapes[a.element]!.count, cb = shapes[b.element]!.count
            return ca != cb ? ca > cb : a.offset < b.offset
        }.map { shapes[$0.element]! }
    }

    /// The YAML rule file for the `limit` most frequent shapes.
    public func yaml(limit: Int = 20) -> String {
        let top = ranked.prefix(limit)
        var out = """
        # Drafted by `pullwatch rules suggest`: \(top.count) message shape(s) no rule classifies.
        # For each rule: set `cause` to the cause id the message states (tag_not_found, repository_not_found,
        # access_denied, unauthorized, rate_limited, network_timeout, dns_failure, connection_failed, tls_error,
        # proxy_error, registry_error, disk_pressure, runtime_error, platform_mismatch, invalid_image_name,
        # never_pull, policy_rejected, pull_stalled, digest_mismatch), tighten the pattern, then run
        # `pullwatch rules test --rules DIR` and use it with `--rules DIR`. While the cause stays `unknown`,
        # the rule only marks these lines as pull failures; with a real cause, `literals` may go.
        rules:

        """
        var usedIDs = Set<String>()
        for shape in top {
            var id = "draft." + RuleDraftBuilder.slug(shape.innermost)
            var n = 2
            while usedIDs.contains(id) { id = "draft." + RuleDraftBuilder.slug(shape.innermost) + "-\(n)"; n += 1 }
            usedIDs.insert(id)
            let literal = RuleDraftBuilder.literal(in: shape.innermost)
            out += "  - id: \(id)\n"
            out += "    cause: unknown\n"
            out += "    title: \(RuleDraftBuilder.quoted("\(shape.count) failure(s): " + String(shape.shape.prefix(100))))\n"
            out += "    literals: [\(RuleDraftBuilder.quoted(literal))]\n"
            out += "    pattern: \(RuleDraftBuilder.quoted(RuleDraftBuilder.pattern(for: shape.innermost)))\n"
            out += "    samples:\n"
            for m in shape.messages { out += "      - \(RuleDraftBuilder.quoted(m))\n" }
            out += "\n"
        }
        return out
    }

    // MARK: drafting

    /// The innermost error of a Go-style chain (`outer: inner: innermost`): kubelet's `err=`
    /// value when there is one, then the text after the last `desc = `, then the last
    /// `: `-separated part that still says something in words.
    static func innermostError(of message: String) -> String {
        var text = Substring(message)
        if let r = text.range(of: " err=\"") ?? text.range(of: " error=\"") {
            text = text[r.upperBound...]
            if let end = text.range(of: "\" ", options: .backwards) { text = text[..<end.lowerBound] }
            if text.hasSuffix("\"") { text = text.dropLast() }
        }
        if let r = text.range(of: "desc = ", options: .backwards) { text = text[r.upperBound...] }
        let parts = text.components(separatedBy: ": ")
        // From the end: the shortest tail whose first part has two words of letters.
        var start = parts.count - 1
        while start > 0 {
            let words = parts[start].split(separator: " ").filter { $0.count > 1 && $0.allSatisfy(\.isLetter) }
            if words.count >= 2 { break }
            start -= 1
        }
        let tail = parts[start...].joined(separator: ": ").trimmingCharacters(in: .whitespaces)
        return tail.isEmpty ? String(message) : tail
    }

    /// A PCRE2 pattern for `innermost`: the text escaped, numbers, ids, digests, URLs, IPs and
    /// quoted names widened, so every message of the shape matches.
    static func pattern(for innermost: String) -> String {
        var out = ""
        var token = ""
        func flush() {
            guard !token.isEmpty else { return }
            let shaped = MessageShape.classify(token)
            if shaped.hasPrefix("<"), let close = shaped.firstIndex(of: ">") {
                out += "\\S+?" + escape(String(shaped[shaped.index(after: close)...]))
            } else {
                out += escape(token)
            }
            token = ""
        }
        var inQuote = false
        for ch in innermost {
            if ch == "\"" {
                if inQuote { out += "[^\"]*\""; inQuote = false } else { flush(); out += "\\\\?\""; inQuote = true }
                continue
            }
            if inQuote { continue }
            if ch == " " || ch == "," || ch == "(" || ch == ")" || ch == "[" || ch == "]" || ch == "=" || ch == "\t" {
                flush(); out += escape(String(ch))
            } else {
                token.append(ch)
            }
        }
        if inQuote { out += "[^\"]*" }
        flush()
        return out
    }

    /// The longest run of letters, digits, spaces and plain punctuation in `text` (no quote or
    /// backslash, so the literal survives every quoting), for the gate.
    static func literal(in text: String) -> String {
        var best = "", run = ""
        for ch in text {
            if ch.isLetter || ch == " " || ch == "-" || ch == "_" || ch == "'" {
                run.append(ch)
            } else {
                if run.trimmingCharacters(in: .whitespaces).count > best.count { best = run.trimmingCharacters(in: .whitespaces) }
                run = ""
            }
        }
        if run.trimmingCharacters(in: .whitespaces).count > best.count { best = run.trimmingCharacters(in: .whitespaces) }
        return best.isEmpty ? String(text.prefix(16)) : String(best.prefix(60))
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            if "\\^$.|?*+()[]{}/".contains(ch) { out.append("\\") }
            out.append(ch)
        }
        return out
    }

    /// A YAML single-quoted scalar.
    static func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }

    /// Up to five lowercase words of `text`, joined by `-`.
    static func slug(_ text: String) -> String {
        let words: [String] = text.lowercased().split { !$0.isLetter }.filter { $0.count > 1 }.prefix(5).map { String($0) }
        return words.isEmpty ? "message" : words.joined(separator: "-")
    }
}
