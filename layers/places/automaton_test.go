package places

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/citemap/citemap/layers"
)

// hitsOf lists every occurrence of every pattern in the folded text, as
// "pattern@byte offset", first with the automaton the matcher uses and then
// by brute force.
func hitsOf(m *Matcher, f folded) (got, want []string) {
	for _, mt := range m.ac.FindAllOverlapping(f.b) {
		got = append(got, string(m.ac.Pattern(mt.PatternID))+"@"+strconv.Itoa(mt.Start))
	}
	for id := range m.ac.PatternCount() {
		p := m.ac.Pattern(id)
		for off := 0; ; {
			i := bytes.Index(f.b[off:], p)
			if i < 0 {
				break
			}
			want = append(want, string(p)+"@"+strconv.Itoa(off+i))
			off += i + 1
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	return got, want
}

func testMatcher(t testing.TB) *Matcher {
	gaz := []Entry{
		{Place: Place{Name: "Nakhchivan", Source: "t"}, Kind: KindCity},
		{Place: Place{Name: "Nakhchivan Autonomous Republic", Source: "t"}, Kind: KindRegion},
		{Place: Place{Name: "Ossetia", Source: "t"}, Kind: KindRegion},
		{Place: Place{Name: "South Ossetia", Source: "t"}, Kind: KindRegion},
		{Place: Place{Name: "North Ossetia-Alania", Source: "t"}, Kind: KindRegion},
		{Place: Place{Name: "Alania", Source: "t"}, Kind: KindRegion},
		{Place: Place{Name: "Kars", Source: "t"}, Kind: KindCity},
		{Place: Place{Name: "Karsakpay", Source: "t"}, Kind: KindCity},
	}
	m, err := New(nil, gaz, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The automaton must report every occurrence, overlapping and nested ones
// included: Suggest picks among them itself.
func TestAutomatonFindsEveryOccurrence(t *testing.T) {
	m := testMatcher(t)
	for _, text := range []string{
		"Nakhchivan Nakhchivan Autonomous Republic Nakhchivan",
		"South Ossetia and North Ossetia-Alania, Ossetia, Alania",
		"Kars Karsakpay Kars-Karsakpay",
		"Naxçıvan; Nakhichevan Autonomous Republic",
	} {
		got, want := hitsOf(m, fold(layers.Normalize(text)))
		if !slices.Equal(got, want) {
			t.Errorf("%q:\nautomaton %q\nbrute     %q", text, got, want)
		}
	}
}

func FuzzAutomaton(f *testing.F) {
	m := testMatcher(f)
	f.Add("South Ossetia Ossetia Nakhchivan Autonomous Republic")
	f.Add("Kars Karsakpay")
	f.Fuzz(func(t *testing.T, s string) {
		got, want := hitsOf(m, fold(layers.Normalize(s)))
		if !slices.Equal(got, want) {
			t.Fatalf("%q:\nautomaton %q\nbrute     %q", s, got, want)
		}
	})
}

// The automaton against the loop of bytes.Index it replaces, over the
// test article with the bundled gazetteer's patterns: the ratio of the two
// is the reason for the dependency.
func benchmarkFind(b *testing.B, naive bool) {
	gaz, err := Bundled()
	if err != nil {
		b.Fatal(err)
	}
	m, err := New(nil, gaz, Options{})
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/article.txt")
	if err != nil {
		b.Fatal(err)
	}
	f := fold(layers.Normalize(string(raw)))
	b.SetBytes(int64(len(f.b)))
	for b.Loop() {
		if !naive {
			m.ac.FindAllOverlapping(f.b)
			continue
		}
		for id := range m.ac.PatternCount() {
			p := m.ac.Pattern(id)
			for off := 0; ; {
				i := bytes.Index(f.b[off:], p)
				if i < 0 {
					break
				}
				off += i + 1
			}
		}
	}
}

func BenchmarkFindAutomaton(b *testing.B) { benchmarkFind(b, false) }
func BenchmarkFindIndexLoop(b *testing.B) { benchmarkFind(b, true) }
