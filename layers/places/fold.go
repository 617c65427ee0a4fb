package places

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// A folded text is the text the matcher searches: every word lower-cased,
// stripped of diacritics and wrapped in spaces (" word "), so that a pattern
// folded the same way matches whole words only. Words joined by spaces or
// hyphens sit side by side (" nagorno  karabakh "); any other punctuation
// or a line break puts a barrier between them that no pattern contains, so
// a name never matches across a sentence or a paragraph.
type folded struct {
	b []byte
	// Where each word is: its folded byte range (leading space to trailing
	// space, inclusive of both) and its code point range in the input.
	words []word
}

type word struct {
	fStart, fEnd int // bytes in folded.b: [fStart, fEnd)
	start, end   int // code points in the input: [start, end)
	upper        bool
}

const barrier = '\n'

// fold folds s. Offsets are code points of s as given: the caller passes
// normalized text.
func fold(s string) folded {
	var f folded
	var w strings.Builder
	wordStart, cp := -1, 0
	joinable := true // the gap since the last word holds only spaces and hyphens
	upper := false
	flush := func(end int) {
		if wordStart < 0 {
			return
		}
		if len(f.words) > 0 && !joinable {
			f.b = append(f.b, barrier)
		}
		fs := len(f.b)
		f.b = append(f.b, ' ')
		f.b = append(f.b, w.String()...)
		f.b = append(f.b, ' ')
		f.words = append(f.words, word{fStart: fs, fEnd: len(f.b), start: wordStart, end: end, upper: upper})
		w.Reset()
		wordStart = -1
		joinable = true
	}
	runes := []rune(s)
	for i, r := range runes {
		cp = i
		switch {
		case isApostrophe(r) && wordStart >= 0 && i+1 < len(runes) && isWordRune(runes[i+1]) && !possessive(runes[i+1:]):
			// Inside a word (Ts’khinvali) the apostrophe is a transliteration
			// mark, dropped so that Tskhinvali matches too.
		case unicode.Is(unicode.Cf, r) && wordStart >= 0 && i+1 < len(runes) && isWordRune(runes[i+1]):
			// Soft hyphens and zero-width joiners from web pages split no
			// word: Nakh&shy;chivan is Nakhchivan.
		case isWordRune(r) && !isApostrophe(r):
			if wordStart < 0 {
				wordStart = cp
				upper = !unicode.IsLower(r)
			}
			foldRune(&w, r)
		default:
			flush(cp)
			if !(unicode.IsSpace(r) && r != '\n') && !unicode.Is(unicode.Pd, r) && !isApostrophe(r) {
				joinable = false
			}
		}
	}
	flush(len(runes))
	return f
}

// possessive reports whether rest, the text after an apostrophe, is an
// English possessive "s": Georgia's is Georgia.
func possessive(rest []rune) bool {
	return (rest[0] == 's' || rest[0] == 'S') && (len(rest) == 1 || !isWordRune(rest[1]))
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', 'ʼ', 'ʻ', '`', '‘', 'ʹ', 'ʿ', 'ʾ':
		return true
	}
	return false
}

// foldRune writes r lower-cased without diacritics. Letters that Unicode
// does not decompose get the transliteration English news uses (Azerbaijani
// ə as in Gəncə → Ganja, Turkish dotless ı as in Iğdır → Igdir).
func foldRune(b *strings.Builder, r rune) {
	switch r {
	case 'ə', 'Ə', 'ǝ': // GeoNames writes Gǝncǝ with U+01DD
		b.WriteByte('a')
		return
	case 'ı':
		b.WriteByte('i')
		return
	case 'ß':
		b.WriteString("ss")
		return
	case 'æ', 'Æ':
		b.WriteString("ae")
		return
	case 'ø', 'Ø':
		b.WriteByte('o')
		return
	case 'ł', 'Ł':
		b.WriteByte('l')
		return
	case 'đ', 'Đ':
		b.WriteByte('d')
		return
	}
	if r < 0x80 {
		b.WriteRune(unicode.ToLower(r))
		return
	}
	for _, d := range norm.NFD.String(string(r)) {
		if unicode.Is(unicode.Mn, d) {
			continue
		}
		b.WriteRune(unicode.ToLower(d))
	}
}

// key folds a name into the pattern the matcher looks for; "" when the name
// has no word or crosses a barrier.
func key(name string) string {
	f := fold(name)
	if len(f.words) == 0 || strings.IndexByte(string(f.b), barrier) >= 0 {
		return ""
	}
	return string(f.b)
}
