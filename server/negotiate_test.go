package server

import (
	"strings"
	"testing"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		accept, want string
	}{
		{"", formatJSON},
		{"*/*", formatJSON},
		{"application/json", formatJSON},
		{"application/geo+json, application/json", formatJSON},                          // QGIS
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", formatHTML}, // a browser
		{"text/html", formatHTML},
		{"text/html;q=0.5, application/json", formatJSON},
		{"application/json;q=0.5, text/html", formatHTML},
		{"text/html;q=0, */*", formatJSON},
		{"text/html;q=0", formatJSON},
		{"application/json;q=0, text/*", formatHTML},
		{"application/json;q=0.1, application/geo+json;q=0.1, */*;q=0.9", formatHTML},
		{"application/json;q=0.1, */*;q=0.9", formatJSON},       // GeoJSON is still acceptable at 0.9
		{"text/html;q=0.8, application/json;q=0.8", formatHTML}, // a tie: the one listed first
		{"application/json;q=0.8, text/html;q=0.8", formatJSON},
		{"TEXT/HTML;Q=0.9, application/json;q=0.2", formatHTML},
		{"text/html;q=abc, application/json;q=0.1", formatJSON}, // an unreadable q is 0
		{"text/html;q=2", formatJSON},                           // out of range: 0
		{"garbage, text/html", formatHTML},
	}
	for _, tt := range tests {
		if got := negotiate(tt.accept); got != tt.want {
			t.Errorf("negotiate(%q) = %s, want %s", tt.accept, got, tt.want)
		}
	}
}

// TestVaryAccept: every resource whose body depends on Accept says so, on
// the first answer and on cached ones, for JSON and HTML alike.
func TestVaryAccept(t *testing.T) {
	s := newServer(t)
	routes := []string{"/", "/conformance", "/collections", "/collections/bases", "/collections/bases/items",
		"/collections/bases/items/gyumri-102nd-base", "/collections/bases/queryables", "/sources", "/sources/s004"}
	checked := 0
	for _, route := range routes {
		for _, accept := range []string{"application/json", "text/html", "text/html;q=0.1, application/json"} {
			for round := 0; round < 2; round++ { // the second answer may come from a cache
				res, b := do(t, s, "GET", route, "Accept", accept)
				if res.StatusCode != 200 {
					t.Errorf("%s (Accept %s): %d %s", route, accept, res.StatusCode, b)
					continue
				}
				if !varyNames(res.Header.Values("Vary"), "Accept") {
					t.Errorf("%s (Accept %s): Vary %q does not name Accept", route, accept, res.Header.Values("Vary"))
				}
				html := strings.HasPrefix(res.Header.Get("Content-Type"), "text/html")
				if wantHTML := negotiate(accept) == formatHTML; html != wantHTML {
					t.Errorf("%s (Accept %s): content type %s", route, accept, res.Header.Get("Content-Type"))
				}
				checked++
			}
		}
	}
	if checked != len(routes)*3*2 {
		t.Errorf("checked %d answers, want %d", checked, len(routes)*3*2)
	}
}

// varyNames reports whether Vary headers list name as one of their tokens.
func varyNames(values []string, name string) bool {
	for _, v := range values {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), name) {
				return true
			}
		}
	}
	return false
}
