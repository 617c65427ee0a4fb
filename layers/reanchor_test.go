package layers

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// The original article, and the corrected revision an editor posts later:
// a typo fixed inside one quote, a paragraph inserted at the top, one
// sentence reworded, one sentence deleted.
const (
	oldArticle = `Work on the railway through Syunik began in the spring, according to the ministry.
Engineers say the line along the Araks will need three new bridges and a tunnel near Meghri.
The govermnent in Yerevan insists that the route stays under Armenian customs control.
Officials in Baku call it the Zangezur corridor and expect the first trains within five years.
Critics in Gyumri doubt that the money for the tunnel has been found.
Residents of Kapan said they had heard such promises before.`

	newArticle = `Update, 12 November: this article was corrected and expanded after publication.
Work on the railway through Syunik began in the spring, according to the ministry.
Engineers say the line along the Araks will need three new bridges and a tunnel near Meghri.
The government in Yerevan insists that the route stays under Armenian customs control.
A second survey team reached the valley on Tuesday.
Officials in Baku call it the Zangezur corridor and hope to see freight trains before the decade ends.
Critics in Gyumri doubt that the money for the tunnel has been found.`
)

func TestReanchorCorrectedArticle(t *testing.T) {
	oldText, newText := Normalize(oldArticle), Normalize(newArticle)
	tests := []struct {
		name    string
		exact   string // quote in the old text
		ok      bool
		want    string // the quote in the new text when ok
		exactly bool   // score 1: the quote stands unchanged
	}{
		{"unchanged, moved down by an inserted paragraph",
			"three new bridges and a tunnel near Meghri", true, "three new bridges and a tunnel near Meghri", true},
		{"typo fixed inside the quote",
			"The govermnent in Yerevan insists that the route stays under Armenian customs control.", true,
			"The government in Yerevan insists that the route stays under Armenian customs control.", false},
		{"sentence reworded",
			"expect the first trains within five years", false, "", false},
		{"unchanged after a reworded sentence",
			"Critics in Gyumri doubt that the money for the tunnel has been found.", true,
			"Critics in Gyumri doubt that the money for the tunnel has been found.", true},
		{"sentence deleted",
			"Residents of Kapan said they had heard such promises before.", false, "", false},
		{"unchanged part of a reworded sentence",
			"Officials in Baku call it the Zangezur corridor", true, "Officials in Baku call it the Zangezur corridor", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, err := Anchor(oldText, tt.exact)
			if err != nil {
				t.Fatal(err)
			}
			sel, score, ok := Reanchor(newText, old)
			if ok != tt.ok {
				t.Fatalf("ok = %v (score %.3f, %q), want %v", ok, score, sel.Exact, tt.ok)
			}
			if !ok {
				if score >= ReanchorThreshold {
					t.Errorf("refused with score %.3f over the threshold", score)
				}
				return
			}
			if sel.Exact != tt.want {
				t.Errorf("exact = %q, want %q", sel.Exact, tt.want)
			}
			if Verify(newText, sel) != VerifiedExact {
				t.Errorf("selector %+v does not verify against the new text", sel)
			}
			if (score == 1) != tt.exactly {
				t.Errorf("score = %.3f", score)
			}
			if score < ReanchorThreshold {
				t.Errorf("accepted with score %.3f under the threshold", score)
			}
		})
	}
}

func TestReanchorPassages(t *testing.T) {
	oldText, newText := Normalize(oldArticle), Normalize(newArticle)
	var ps []Passage
	for i, q := range []string{"three new bridges", "The govermnent in Yerevan", "expect the first trains within five years"} {
		sel, err := Anchor(oldText, q)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, Passage{ID: fmt.Sprintf("p900-%02d", i+1), Source: "900_test", Selector: sel})
	}
	got := ReanchorPassages(newText, ps)
	want := []struct {
		ok, changed bool
		exact       string
	}{
		{true, false, "three new bridges"},
		{true, true, "The government in Yerevan"},
		{false, false, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d outcomes for %d passages", len(got), len(ps))
	}
	for i, w := range want {
		g := got[i]
		if g.Passage != ps[i].ID || g.Old != ps[i].Selector || g.OK != w.ok || g.Changed != w.changed {
			t.Errorf("%s: %+v, want ok=%v changed=%v", ps[i].ID, g, w.ok, w.changed)
		}
		if w.ok && g.New.Exact != w.exact {
			t.Errorf("%s: new quote %q, want %q", ps[i].ID, g.New.Exact, w.exact)
		}
	}
}

func TestReanchorRepeatedQuote(t *testing.T) {
	oldText := Normalize("In Goris the road was closed.\nLater, in Kapan the road was closed.\nBoth towns complained.")
	old, err := Anchor(oldText, "Later, in Kapan the road was closed.")
	if err != nil {
		t.Fatal(err)
	}
	// "the road was closed." in the Kapan sentence, its prefix telling the
	// two occurrences apart.
	old2 := selectorAt([]rune(oldText), old.End-len("the road was closed."), old.End)

	t.Run("told apart by context", func(t *testing.T) {
		newText := Normalize("News from the south.\nIn Goris the road was closed.\nLater, in Kapan the road was closed.\nBoth towns complained.")
		sel, score, ok := Reanchor(newText, old2)
		if !ok {
			t.Fatalf("not re-anchored (score %.3f)", score)
		}
		if !strings.HasSuffix(sel.Prefix, "in Kapan ") {
			t.Errorf("anchored at the wrong occurrence: prefix %q", sel.Prefix)
		}
		if Verify(newText, sel) != VerifiedExact {
			t.Error("selector does not verify")
		}
	})
	t.Run("context cannot tell", func(t *testing.T) {
		newText := Normalize("the road was closed. the road was closed.")
		_, score, ok := Reanchor(newText, old2)
		if ok {
			t.Fatalf("re-anchored an ambiguous quote (score %.3f)", score)
		}
	})
}

func TestReanchorMoreRevisions(t *testing.T) {
	tests := []struct {
		name           string
		oldText, exact string
		newText        string
		ok             bool
		want           string
	}{
		{"paragraph split inside the quote",
			"The line would follow the Araks. It would cross Syunik near Meghri.", "follow the Araks. It would cross Syunik",
			"The line would follow the Araks.\nIt would cross Syunik near Meghri.", true, "follow the Araks.\nIt would cross Syunik"},
		{"curly quotes straightened",
			"He called it “the Zangezur corridor” on Monday, officials said.", "called it “the Zangezur corridor” on Monday",
			"He called it \"the Zangezur corridor\" on Monday, officials said.", true, "called it \"the Zangezur corridor\" on Monday"},
		{"non-Latin text with a fixed letter",
			"Գյումրիում ռուսական ռազմաբազա կա։ Նոր տող։", "Գյումրիում ռուսական ռազմաբազա կա",
			"Նախաբան։\nԳյումրիում ռուսական ռազմաբազա կա։ Նոր տող։", true, "Գյումրիում ռուսական ռազմաբազա կա"},
		{"a number changed in a short quote",
			"About 40 kilometres of track are planned.", "40 kilometres",
			"About 43 kilometres of track are planned.", true, "43 kilometres"},
		{"a changed quote in new surroundings beside a near copy",
			"x. The border crossing at Margara opened. y.", "The border crossing at Margara opened",
			"The border crossing at Margara reopened. The border crossing at Margara closed.", false, ""},
		{"quote now at the very start",
			"Intro. Kapan lies on the Voghji river.", "Kapan lies on the Voghji river",
			"Kapan lies on the Voghji river.", true, "Kapan lies on the Voghji river"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, err := Anchor(Normalize(tt.oldText), tt.exact)
			if err != nil {
				t.Fatal(err)
			}
			newText := Normalize(tt.newText)
			sel, score, ok := Reanchor(newText, old)
			if ok != tt.ok {
				t.Fatalf("ok = %v (score %.3f, %q), want %v", ok, score, sel.Exact, tt.ok)
			}
			if ok && (sel.Exact != tt.want || Verify(newText, sel) != VerifiedExact) {
				t.Errorf("got %+v (score %.3f), want %q", sel, score, tt.want)
			}
		})
	}
}

func BenchmarkReanchorApproximate(b *testing.B) {
	// A long article (about 60,000 code points) and a 300 code point quote
	// with two typos fixed in the new text: the slow path.
	var sb strings.Builder
	for i := range 400 {
		sb.WriteString("Paragraph ")
		sb.WriteString(strings.Repeat("abcdefghij", i%7+1))
		sb.WriteString(" about the railway through Syunik and the road to Kapan, near Meghri.\n")
	}
	quote := strings.Repeat("The govermnent insists on customs control. ", 7)
	oldText := Normalize(sb.String() + quote + "\n" + sb.String())
	newText := strings.ReplaceAll(oldText, "govermnent", "government")
	old, err := Anchor(oldText, strings.TrimSpace(quote))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, ok := Reanchor(newText, old); !ok {
			b.Fatal("not re-anchored")
		}
	}
}

func TestReanchorRefuses(t *testing.T) {
	tests := []struct {
		name string
		text string
		old  Selector
	}{
		{"empty quote", "some text", Selector{}},
		{"empty text", "", Selector{Exact: "quote"}},
		{"unrelated text", "Nothing here resembles the passage at all, not even a little.", Selector{Exact: "Engineers say the line along the Araks will need three new bridges"}},
		{"quote longer than text", "short", Selector{Exact: "a much longer quote than the text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if sel, score, ok := Reanchor(tt.text, tt.old); ok {
				t.Fatalf("ok with %+v score %.3f", sel, score)
			}
		})
	}
}

func FuzzReanchor(f *testing.F) {
	f.Add(Normalize(oldArticle), Normalize(newArticle), 120, 160)
	f.Add("aaaa", "aaaaa", 0, 2)
	f.Add("héllo wörld", "hello world", 1, 6)
	f.Fuzz(func(t *testing.T, oldText, newText string, start, end int) {
		oldText, newText = Normalize(oldText), Normalize(newText)
		r := []rune(oldText)
		if len(r) > 2000 || len([]rune(newText)) > 4000 || start < 0 || end > len(r) || start >= end {
			return
		}
		old := selectorAt(r, start, end)
		// A unique quote in a text that only grew at the top moves with it,
		// unchanged.
		if grown := Normalize("Update: corrected.\n" + oldText); occurrences(grown, old.Exact) == 1 {
			shift := len([]rune(grown)) - len(r)
			sel, score, ok := Reanchor(grown, old)
			if !ok || score != 1 || sel.Exact != old.Exact || sel.Start != old.Start+shift {
				t.Fatalf("unique quote %q not re-anchored after an insertion: %+v %v %v", old.Exact, sel, score, ok)
			}
		}
		sel, score, ok := Reanchor(newText, old)
		if score < 0 || score > 1 {
			t.Fatalf("score %v out of [0,1]", score)
		}
		if !ok {
			return
		}
		if !utf8.ValidString(sel.Exact) || Verify(newText, sel) != VerifiedExact {
			t.Fatalf("selector %+v does not verify", sel)
		}
		if oldText == newText && sel.Exact != old.Exact {
			t.Fatalf("unchanged text re-anchored elsewhere: %q -> %q", old.Exact, sel.Exact)
		}
	})
}

// occurrences counts q in s, overlapping ones included ("00" is twice in "000").
func occurrences(s, q string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if strings.HasPrefix(s[i:], q) {
			n++
		}
	}
	return n
}

func TestReanchorBoundsItsWork(t *testing.T) {
	// A 20,000 code point quote in a 2 million code point text would be
	// 8·10^9 cells: not searched approximately, so flagged for review.
	quote := []rune(strings.Repeat("Syunik ", 3000))
	text := []rune(strings.Repeat("abcdefghij ", 200_000))
	if c := approximate(text, quote, len(quote)/5); c != nil {
		t.Fatalf("searched beyond the budget: %d candidates", len(c))
	}
	if _, _, ok := Reanchor(string(text), Selector{Exact: string(quote)}); ok {
		t.Fatal("re-anchored a quote that is not there")
	}
	// Within the budget a long quote is still found, with fewer candidates.
	quote = []rune(strings.Repeat("Syunik and Kapan ", 100))
	text = []rune(strings.Repeat("abcdefghij ", 5_000) + string(quote[1:]) + " end")
	c := approximate(text, quote, len(quote)/5)
	if len(c) == 0 || c[0].errors != 1 {
		t.Fatalf("long quote not found within the budget: %+v", c)
	}
}
