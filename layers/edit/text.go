package edit

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// foldASCII drops diacritics: "Naxçıvan" becomes "Naxcıvan".
func foldASCII(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if r == 'ı' {
			r = 'i'
		}
		b.WriteRune(r)
	}
	return b.String()
}
