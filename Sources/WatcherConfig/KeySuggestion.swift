/// The did-you-mean part of an "unknown key" or "unknown value" problem.
enum KeySuggestion {
    /// The closest candidate within two edits of `word`, earliest candidate on a tie. A shortened key such as
    /// `requests_per_sec` is three edits from `requests_per_second`, so a candidate that starts with a word of at
    /// least four characters also counts, as one edit.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let scored = candidates.map { candidate in
            let isShortened = word.count >= 4 && candidate.hasPrefix(word)
            return (candidate: candidate, distance: isShortened ? 1 : editDistance(word, candidate))
        }
        guard let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= 2 else { return nil }
        return best.candidate
    }

    /// ` (did you mean "requests_per_second"?)`, or nothing.
    static func hint(for word: String, among candidates: [String]) -> String {
        closest(to: word, among: candidates).map { " (did you mean \($0.debugDescription)?)" } ?? ""
    }

    /// Levenshtein distance over characters: insertions, deletions and substitutions.
    static func editDistance(_ first: String, _ second: String) -> Int {
        let first = Array(first)
        let second = Array(second)
        var previous = Array(0...second.count)
        for (row, character) in first.enumerated() {
            var current = [row + 1]
            for (column, other) in second.enumerated() {
                let substitution = previous[column] + (character == other ? 0 : 1)
                current.append(min(substitution, previous[column + 1] + 1, current[column] + 1))
            }
            previous = current
        }
        return previous[second.count]
    }
}
