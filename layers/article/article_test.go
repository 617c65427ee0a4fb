package article

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/citemap/citemap/layers"
)

func TestTextExtractsTheArticle(t *testing.T) {
	page, err := os.ReadFile("testdata/report.html")
	if err != nil {
		t.Fatal(err)
	}
	a, err := Text(page, "https://news.example/world/rail")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Raw, page) {
		t.Error("Raw is not the input as given")
	}
	if a.Title != "Rail link across Syunik moves ahead" {
		t.Errorf("Title = %q", a.Title)
	}
	if a.Byline != "By Ana Example" && a.Byline != "Ana Example" {
		t.Errorf("Byline = %q", a.Byline)
	}
	for _, want := range []string{
		"a railway from mainland Azerbaijan to Nakhchivan would run along the Araks river",
		"Officials in Gyumri, the city once called Leninakan,",
		"would believe it when the first train arrived.",
	} {
		if !strings.Contains(a.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, a.Text)
		}
	}
	for _, never := range []string{"SCRIPT-TEXT", "SHOULD-NOT-APPEAR", "INLINE-SCRIPT", "NOSCRIPT-TEXT", "STYLE-TEXT", "injected", "JSON-LD", "All rights reserved", "font-family",
		// The site around the article: navigation, most read, comments.
		"Home", "Batumi", "Sukhumi", "Share this story", "Ardahan"} {
		if strings.Contains(a.Text, never) {
			t.Errorf("text holds %q:\n%s", never, a.Text)
		}
	}
	if a.Text != layers.Normalize(a.Text) {
		t.Error("text is not normalized")
	}
	// Paragraphs stay lines: quotes are anchored per paragraph.
	if n := strings.Count(a.Text, "\n"); n < 3 {
		t.Errorf("text has %d line breaks, want one per paragraph:\n%s", n, a.Text)
	}
}

func TestTextShortAndPlainPages(t *testing.T) {
	tests := []struct {
		name, page, want string
	}{
		{"one paragraph", "<p>Trains may run from Kapan to Meghri.</p>", "Trains may run from Kapan to Meghri."},
		// As in a browser: a line break in HTML text is a space.
		{"plain text", "Trains may run\r\nfrom Kapan.", "Trains may run from Kapan."},
		{"entities and nbsp", "<p>Gyumri&nbsp;&amp;&#160;Leninakan &lt;b&gt;</p>", "Gyumri & Leninakan <b>"},
		{"script between paragraphs", "<body><p>Goris.</p><script>document.write('Kapan')</script><p>Sisian.</p></body>", "Goris.\nSisian."},
		{"decomposed accents are composed", "<p>Naxc\u0327\u0131van</p>", "Naxçıvan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Text([]byte(tt.page), "")
			if err != nil {
				t.Fatal(err)
			}
			if a.Text != tt.want {
				t.Errorf("text = %q, want %q", a.Text, tt.want)
			}
		})
	}
}

func TestTextErrors(t *testing.T) {
	tests := []struct {
		name string
		page string
		url  string
		want error
	}{
		{"empty", "", "", ErrNoText},
		{"only script", "<html><head><script>var a = 'quoted';</script></head><body></body></html>", "", ErrNoText},
		{"bad url", "<p>text</p>", "http://[::1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Text([]byte(tt.page), tt.url)
			if err == nil {
				t.Fatalf("no error; text %q", a.Text)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if string(a.Raw) != tt.page {
				t.Error("raw input lost on error")
			}
		})
	}
}

func TestTextRefusesOversizedInput(t *testing.T) {
	_, err := Text(bytes.Repeat([]byte("a"), MaxHTML+1), "")
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("err = %v, want a size error", err)
	}
}

func FuzzText(f *testing.F) {
	if page, err := os.ReadFile("testdata/report.html"); err == nil {
		f.Add(page)
	}
	f.Add([]byte("<p>Tbilisi</p><script>x</script>"))
	f.Add([]byte("<html><body><article><p>a\r\nb</p></article>"))
	f.Add([]byte("<svg><script>evil()</script></svg><noscript><script>x</script></noscript>"))
	f.Fuzz(func(t *testing.T, page []byte) {
		a, err := Text(page, "https://example.org/")
		if err != nil {
			return
		}
		if !utf8.ValidString(a.Text) || a.Text != layers.Normalize(a.Text) {
			t.Fatalf("text not normalized UTF-8: %q", a.Text)
		}
		if !bytes.Equal(a.Raw, page) {
			t.Fatal("raw changed")
		}
	})
}
