package edit

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/article"
)

func TestIfMatch(t *testing.T) {
	for _, tt := range []struct {
		header, tag string
		want        bool
	}{
		{"", "abc", true}, // optional: QGIS never sends it
		{`"abc"`, "abc", true},
		{`"abc-gz"`, "abc", true},  // the gzip representation of the same state
		{`"abc.123"`, "abc", true}, // an item's tag with its evidence
		{`"abc.123-gz"`, "abc", true},
		{`"abcd.123"`, "abc", false},
		{`"x", "abc"`, "abc", true},
		{`W/"abc"`, "abc", false}, // weak tags never match
		{`"abd"`, "abc", false},
		{`*`, "abc", true},
		{`*`, "", false}, // nothing there to match
		{`"abc"`, "", false},
	} {
		if got := IfMatch(tt.header, tt.tag); got != tt.want {
			t.Errorf("IfMatch(%q, %q) = %v, want %v", tt.header, tt.tag, got, tt.want)
		}
	}
}

// The examples of RFC 7396, appendix A.
func TestMergePatch(t *testing.T) {
	for _, tt := range []struct{ doc, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"a":"foo"}`, `"bar"`, `"bar"`},
		{`{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	} {
		got, err := MergePatch([]byte(tt.doc), []byte(tt.patch))
		if err != nil {
			t.Fatalf("%s + %s: %v", tt.doc, tt.patch, err)
		}
		var g, w any
		json.Unmarshal(got, &g)
		json.Unmarshal([]byte(tt.want), &w)
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		if string(gb) != string(wb) {
			t.Errorf("%s + %s = %s, want %s", tt.doc, tt.patch, gb, wb)
		}
	}
	if _, err := MergePatch([]byte(`{}`), []byte("{\n\"a\": }")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("malformed patch: %v", err)
	}
}

func intp(n int) *int { return &n }

func TestLocate(t *testing.T) {
	text := "Tbilisi said yes. Baku said no. Then Tbilisi said yes again, and Yerevan waited."
	for _, tt := range []struct {
		name  string
		in    PassageInput
		start int
		err   string
	}{
		{"unique", PassageInput{Exact: "Baku said no."}, 18, ""},
		{"repeated", PassageInput{Exact: "Tbilisi said yes"}, 0, "occurs 2 times"},
		{"prefix tells them apart", PassageInput{Exact: "Tbilisi said yes", Prefix: "Then "}, 37, ""},
		{"prefix matches none", PassageInput{Exact: "Tbilisi said yes", Prefix: "Later "}, 0, "matches 0"},
		{"absent", PassageInput{Exact: "Moscow"}, 0, "not in the source"},
		{"offsets", PassageInput{Start: intp(18), End: intp(31)}, 18, ""},
		{"offsets out of range", PassageInput{Start: intp(70), End: intp(500)}, 0, "not a span"},
		{"offsets disagree with exact", PassageInput{Exact: "Yerevan", Start: intp(0), End: intp(7)}, 0, "not the exact quote"},
		{"nothing", PassageInput{}, 0, "give the exact quote"},
	} {
		sel, err := locate(text, tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.err == "" && (sel.Start != tt.start || string([]rune(text)[sel.Start:sel.End]) != sel.Exact):
			t.Errorf("%s: selector %+v", tt.name, sel)
		}
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Naxçıvan Airport":          "naxcivan-airport",
		"  Zangezur / TRIPP route ": "zangezur-tripp-route",
		"Гюмри":                     "",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzMergePatch(f *testing.F) {
	f.Add([]byte(`{"a":{"b":1}}`), []byte(`{"a":{"b":null,"c":[1]}}`))
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		if !json.Valid(doc) {
			return
		}
		out, err := MergePatch(doc, patch)
		if err == nil && !json.Valid(out) {
			t.Fatalf("invalid JSON out: %s", out)
		}
	})
}

func FuzzLocate(f *testing.F) {
	f.Add("one two one", "one", "two ")
	f.Fuzz(func(t *testing.T, text, exact, prefix string) {
		if !utf8.ValidString(text) {
			return
		}
		sel, err := locate(text, PassageInput{Exact: exact, Prefix: prefix})
		if err != nil {
			return
		}
		r := []rune(text)
		if sel.Start < 0 || sel.End > len(r) || string(r[sel.Start:sel.End]) != sel.Exact {
			t.Fatalf("selector %+v does not stand in the text", sel)
		}
	})
}

// An article's HTML over article.MaxHTML is too large (413 over HTTP), not
// a rule of the data it breaks.
func TestSourceTooLarge(t *testing.T) {
	_, err := readSource(SourceInput{HTML: strings.Repeat("<p>a</p>", article.MaxHTML/8+1)})
	if layers.ErrorCode(err) != layers.ETOOLARGE || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized html: %v (code %q), want %q naming the limit", err, layers.ErrorCode(err), layers.ETOOLARGE)
	}
	if _, err := readSource(SourceInput{HTML: "<html><body></body></html>"}); layers.ErrorCode(err) != layers.EUNPROCESSABLE {
		t.Errorf("html without text: %v, want %q", err, layers.EUNPROCESSABLE)
	}
}
