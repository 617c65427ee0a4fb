package layers

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ContextLen is the length, in code points, of a passage's prefix and suffix.
const ContextLen = 32

// Normalize returns the text passages are anchored in: Unicode NFC, line
// breaks as "\n", every run of white space inside a line folded to one space,
// lines trimmed, empty lines dropped. Offsets into it are stable whatever the
// source's line endings or indentation were.
func Normalize(raw string) string {
	raw = strings.ToValidUTF8(raw, "\uFFFD")
	raw = norm.NFC.String(raw)
	raw = strings.ReplaceAll(raw, "\r\n", "\n")
	raw = strings.ReplaceAll(raw, "\r", "\n")
	var b strings.Builder
	b.Grow(len(raw))
	for _, line := range strings.Split(raw, "\n") {
		f := strings.FieldsFunc(line, unicode.IsSpace)
		if len(f) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		for i, w := range f {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(w)
		}
	}
	return b.String()
}

// TextHash is the hex SHA-256 of a normalized text.
func TextHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// Selector places a quote in a text, as both a W3C TextQuoteSelector (exact,
// prefix, suffix) and a TextPositionSelector (start, end in code points).
type Selector struct {
	Exact  string `json:"exact"`
	Prefix string `json:"prefix"`
	Suffix string `json:"suffix"`
	Start  int    `json:"start"`
	End    int    `json:"end"`
}

// Verification results of a passage against its source text.
const (
	VerifiedExact = "exact"    // the quote stands at its offsets
	VerifiedFuzzy = "fuzzy"    // the quote is in the text, but elsewhere
	Orphaned      = "orphaned" // the quote is not in the text at all
)

// Anchor finds exact in text and returns its selector. The quote must occur
// exactly once; a repeated quote would be ambiguous without its context.
func Anchor(text, exact string) (Selector, error) {
	if exact == "" {
		return Selector{}, Errorf(EINVALID, "empty quote")
	}
	if !utf8.ValidString(exact) || !utf8.ValidString(text) {
		// A stray byte could match inside a multi-byte character.
		return Selector{}, Errorf(EINVALID, "quote or text is not valid UTF-8")
	}
	i := strings.Index(text, exact)
	if i < 0 {
		return Selector{}, Errorf(EINVALID, "quote not found in the text: %q", clip(exact))
	}
	if strings.Contains(text[i+1:], exact) {
		return Selector{}, Errorf(EINVALID, "quote occurs more than once in the text: %q", clip(exact))
	}
	r := []rune(text)
	start := len([]rune(text[:i]))
	return selectorAt(r, start, start+len([]rune(exact))), nil
}

func selectorAt(r []rune, start, end int) Selector {
	return Selector{
		Exact:  string(r[start:end]),
		Prefix: string(r[max(0, start-ContextLen):start]),
		Suffix: string(r[end:min(len(r), end+ContextLen)]),
		Start:  start,
		End:    end,
	}
}

// Verify checks s against text: VerifiedExact when the quote and its context
// stand at the recorded offsets, VerifiedFuzzy when the quote is found
// elsewhere in the text, Orphaned otherwise.
func Verify(text string, s Selector) string {
	r := []rune(text)
	if s.Start >= 0 && s.End <= len(r) && s.Start < s.End {
		if selectorAt(r, s.Start, s.End) == s {
			return VerifiedExact
		}
	}
	if s.Exact != "" && strings.Contains(text, s.Exact) {
		return VerifiedFuzzy
	}
	return Orphaned
}

func clip(s string) string {
	r := []rune(s)
	if len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}
