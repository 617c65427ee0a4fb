package layers

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"folds spaces", "a  b\t\tc", "a b c"},
		{"trims lines", "  a b  \n  c ", "a b\nc"},
		{"drops empty lines", "a\n\n\n \t \nb\n\n", "a\nb"},
		{"crlf and cr", "a\r\nb\rc", "a\nb\nc"},
		{"nbsp is space", "a\u00a0\u00a0b", "a b"},
		{"nfc", "e\u0301", "\u00e9"},
		{"invalid utf8 replaced", "a\xffb", "a\uFFFDb"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAnchor(t *testing.T) {
	text := "Ünïcode first. Moscow’s failure to honor its obligations. The end."
	s, err := Anchor(text, "Moscow’s failure")
	if err != nil {
		t.Fatal(err)
	}
	// Offsets are code points: "Ünïcode first. " is 15 of them (and 17 bytes).
	if s.Start != 15 || s.End != 31 {
		t.Errorf("offsets = %d-%d, want 15-31", s.Start, s.End)
	}
	if s.Prefix != "Ünïcode first. " {
		t.Errorf("prefix = %q", s.Prefix)
	}
	if got := []rune(s.Suffix); len(got) != ContextLen {
		t.Errorf("suffix has %d code points, want %d", len(got), ContextLen)
	}
	if v := Verify(text, s); v != VerifiedExact {
		t.Errorf("Verify = %s, want exact", v)
	}

	for _, tt := range []struct{ name, exact, want string }{
		{"missing", "Kremlin", "not found"},
		{"repeated", "e", "more than once"},
		{"empty", "", "empty quote"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Anchor(text, tt.exact)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Anchor(%q) error = %v, want %q", tt.exact, err, tt.want)
			}
			if ErrorCode(err) != EINVALID {
				t.Errorf("code = %s, want %s", ErrorCode(err), EINVALID)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	text := "one two three four"
	good, err := Anchor(text, "three")
	if err != nil {
		t.Fatal(err)
	}
	moved := good
	moved.Start, moved.End = 0, 5
	tests := []struct {
		name string
		text string
		sel  Selector
		want string
	}{
		{"exact", text, good, VerifiedExact},
		{"offsets moved", text, moved, VerifiedFuzzy},
		{"text edited around it", "one two three five", good, VerifiedFuzzy},
		{"quote gone", "one two four", good, Orphaned},
		{"offsets past the end", "one", good, Orphaned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify(tt.text, tt.sel); got != tt.want {
				t.Errorf("Verify = %s, want %s", got, tt.want)
			}
		})
	}
}

func FuzzNormalizeAnchor(f *testing.F) {
	f.Add("Russia is losing its position.\r\n\r\n  It   is.", "losing")
	f.Add("e\u0301\u00a0x", "x")
	f.Fuzz(func(t *testing.T, raw, quote string) {
		text := Normalize(raw)
		if !utf8.ValidString(text) {
			t.Fatalf("Normalize returned invalid UTF-8")
		}
		if Normalize(text) != text {
			t.Fatalf("Normalize is not idempotent on %q", raw)
		}
		s, err := Anchor(text, quote)
		if err != nil {
			return
		}
		if got := string([]rune(text)[s.Start:s.End]); got != quote {
			t.Fatalf("anchored %q at %d-%d but text there is %q", quote, s.Start, s.End, got)
		}
		if Verify(text, s) != VerifiedExact {
			t.Fatalf("a fresh anchor does not verify")
		}
	})
}
