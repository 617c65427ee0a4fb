package main

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCaucasusTilesZ6(t *testing.T) {
	got := caucasusTiles(6, 6)
	want := []string{"6/38/23", "6/38/24", "6/39/23", "6/39/24", "6/40/23", "6/40/24"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("z6 tiles over the area: %v, want %v", got, want)
	}
}

func TestWriteFollowsWeights(t *testing.T) {
	groups := map[string][]string{
		"items":    {"/a"},                              // 30 %
		"features": {"/b1", "/b2", "/b3", "/b4", "/b5"}, // 20 %
		"layers":   {"/c"},                              // 5 %
	}
	var sb strings.Builder
	w := bufio.NewWriter(&sb)
	write(w, groups)
	w.Flush()
	count := map[byte]int{}
	total := 0
	for _, l := range strings.Split(sb.String(), "\n") {
		if l == "" || l[0] == '#' {
			continue
		}
		count[l[1]]++
		total++
	}
	share := func(c byte) float64 { return float64(count[c]) / float64(total) }
	// 30:20:5 of 55.
	for c, want := range map[byte]float64{'a': 30.0 / 55, 'b': 20.0 / 55, 'c': 5.0 / 55} {
		if d := share(c) - want; d > 0.03 || d < -0.03 {
			t.Errorf("group %c has %.3f of the lines, want %.3f", c, share(c), want)
		}
	}
}

// TestDiscoverFailsOnMissingRoutes: a listed route that answers 404 or 405
// fails the discovery, naming it, instead of dropping out of the mix.
func TestDiscoverFailsOnMissingRoutes(t *testing.T) {
	for _, missing := range []struct {
		path   string
		status int
	}{{"/embed", 404}, {"/static/map.png", 405}, {"/tiles/a/6/39/23.mvt", 404}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == missing.path {
				w.WriteHeader(missing.status)
				return
			}
			switch r.URL.Path {
			case "/collections":
				fmt.Fprint(w, `{"collections":[{"id":"a"}]}`)
			case "/collections/a/items":
				fmt.Fprint(w, `{"features":[{"id":"f1"}]}`)
			case "/sources":
				fmt.Fprint(w, `{"sources":[{"id":"s1"}]}`)
			case "/sources/s1":
				fmt.Fprint(w, `{"passages":[{"id":"p1"}]}`)
			default:
				fmt.Fprint(w, `{}`)
			}
		}))
		opt := filepath.Join(t.TempDir(), "optional.txt")
		if err := os.WriteFile(opt, []byte("/embed?layers={layer}\n/static/map.png?layers={layer}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := discover(srv.URL, opt, 5)
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), missing.path) || !strings.Contains(err.Error(), fmt.Sprint(missing.status)) {
			t.Errorf("%s answering %d: discover gave %v, want an error naming it", missing.path, missing.status, err)
		}
	}
	// The same server with every route answering is fine.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/collections":
			fmt.Fprint(w, `{"collections":[{"id":"a"}]}`)
		case "/sources":
			fmt.Fprint(w, `{"sources":[]}`)
		default:
			fmt.Fprint(w, `{}`)
		}
	}))
	defer srv.Close()
	groups, err := discover(srv.URL, "", 5)
	if err != nil || len(groups["tiles"]) == 0 || len(groups["items"]) != 1 {
		t.Errorf("discover on a full server: %v, %d tiles, %d items", err, len(groups["tiles"]), len(groups["items"]))
	}
}
