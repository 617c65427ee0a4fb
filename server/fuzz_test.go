package server

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzItemsQuery sends arbitrary query strings to the items endpoint: the
// answer is a 200 or a 4xx problem, never a 5xx or a panic.
func FuzzItemsQuery(f *testing.F) {
	for _, q := range []string{"bbox=1,2,3,4", "datetime=2025-01-01/..", "limit=5&offset=2", "properties=name,status",
		"status=active", "bbox=170,0,-170,10&limit=1", "f=html", "bbox-crs=x", "%ff=%fe", "limit=1e9"} {
		f.Add(q)
	}
	// Numbers at the ends of int64 and past them (offset=MaxInt64 was a 500).
	for _, n := range extremes {
		for _, p := range []string{"offset=", "limit=", "v=", "limit=10000&offset=", "bbox=0,0,1,"} {
			f.Add(p + url.QueryEscape(n))
		}
	}
	s := newServerT(f)
	f.Fuzz(func(t *testing.T, q string) {
		if _, err := url.ParseQuery(q); err != nil || strings.ContainsFunc(q, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '#' }) {
			return // not a query string a client could put on a request line
		}
		req := httptest.NewRequest("GET", "/collections/bases/items?"+q, nil)
		res, err := s.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode >= 500 {
			t.Fatalf("%q: status %d", q, res.StatusCode)
		}
		if res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%q: %d without a problem body", q, res.StatusCode)
		}
	})
}

// FuzzEmbedFlags sends arbitrary render flags to /embed, which checks them
// all before serving the page: a 200 or a 4xx problem, never a 5xx.
func FuzzEmbedFlags(f *testing.F) {
	for _, q := range []string{"layers=bases&view=6/40.5/45", "bbox=42,39,46,42&feature=bases/gyumri-102nd-base", "date=2025-07-10&theme=dark&legend=0",
		"sources=count&static=1&v=1", "width=99999", "view=1e309/0/0", "layers=,", "feature=/", "v=-1"} {
		f.Add(q)
	}
	for _, n := range extremes {
		for _, p := range []string{"width=", "height=", "v=", "date=", "view=3/40/", "bbox=44,40,"} {
			f.Add(p + url.QueryEscape(n))
		}
	}
	s := newServerT(f)
	f.Fuzz(func(t *testing.T, q string) {
		if _, err := url.ParseQuery(q); err != nil || strings.ContainsFunc(q, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '#' }) {
			return
		}
		res, err := s.App().Test(httptest.NewRequest("GET", "/embed?"+q, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode >= 500 {
			t.Fatalf("%q: status %d", q, res.StatusCode)
		}
		if res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%q: %d without a problem body", q, res.StatusCode)
		}
	})
}

// Accept-Encoding is the client's: any value is read without a panic, and a
// coding is taken only where the value names it or "*".
func FuzzAcceptsCoding(f *testing.F) {
	for _, ae := range []string{"gzip, deflate, br, zstd", "br;q=0, gzip", "*;q=0", "gzip;q=1e400", "gzip;q=NaN", ",,;;", "br; q=0.5, *"} {
		f.Add(ae)
	}
	f.Fuzz(func(t *testing.T, ae string) {
		for _, coding := range []string{"gzip", "br"} {
			got := acceptsCoding(ae, coding)
			if got && !strings.Contains(strings.ToLower(ae), coding) && !strings.Contains(ae, "*") {
				t.Errorf("acceptsCoding(%q, %q) took a coding the value does not name", ae, coding)
			}
		}
	})
}

// mayHold may say yes to what does not hold the needle (the names are
// then decoded), never no to what does: for ASCII without escapes it
// decides as lower-casing the whole and searching it would.
func FuzzMayHold(f *testing.F) {
	f.Add(`{"name":"Gyumri Base","status":"active"}`, "gyumri")
	f.Add(`{"name":"GYUMRI"}`, "umri")
	f.Add(`{"name":"Şəki"}`, "seki")
	f.Add(`{"name":"a  b"}`, "a b")
	f.Add(`{"x":"aaab"}`, "aab")
	f.Fuzz(func(t *testing.T, props, needle string) {
		needle = strings.ToLower(needle)
		want := strings.Contains(strings.ToLower(props), needle)
		got := mayHold([]byte(props), needle)
		if want && !got {
			t.Errorf("mayHold(%q, %q) = false; it holds it", props, needle)
		}
		plain := true
		for i := range len(props) {
			if c := props[i]; c >= 0x80 || c == '\\' || (c == ' ' && i > 0 && props[i-1] == ' ') {
				plain = false
			}
		}
		if plain && got != want {
			t.Errorf("mayHold(%q, %q) = %v, want %v", props, needle, got, want)
		}
	})
}
