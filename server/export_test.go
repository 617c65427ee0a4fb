package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/citemap/citemap/data"
	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
)

const exportBase = "https://maps.example.org/citemap"

// newExportServer serves the bundled dataset at exportBase.
func newExportServer(t *testing.T) *Server {
	t.Helper()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	d, err := layers.ReadDir(data.FS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(context.Background(), d.Import(), nil); err != nil {
		t.Fatal(err)
	}
	s, err := New(store, Config{BaseURL: exportBase})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// listDir names what dir holds, and what its parent holds beside it (a
// failed export must leave no half-built folder behind).
func listDir(t *testing.T, dir string) string {
	t.Helper()
	var names []string
	for _, d := range []string{dir, filepath.Dir(dir)} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			names = append(names, filepath.Join(d, e.Name()))
		}
	}
	return strings.Join(names, "\n")
}

func TestExportSiteRefuses(t *testing.T) {
	s, err := New(newServer(t).store, Config{BaseURL: exportBase})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	full := filepath.Join(t.TempDir(), "site")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "notes.txt"), []byte("not the site's"), 0o644); err != nil {
		t.Fatal(err)
	}
	noBase, err := New(s.store, Config{})
	if err != nil {
		t.Fatal(err)
	}
	badBase, err := New(s.store, Config{BaseURL: "maps.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		srv  *Server
		dir  string
		opt  SiteOptions
		want string // in the error
	}{
		{"no base URL", noBase, "", SiteOptions{}, "base URL"},
		{"a base URL without a scheme", badBase, "", SiteOptions{}, `"maps.example.org"`},
		{"a folder that holds files", s, full, SiteOptions{}, "not empty"},
		{"a negative page size", s, "", SiteOptions{PageSize: -1}, "page size -1"},
		{"a page over the server's limit", s, "", SiteOptions{PageSize: limitMax + 1}, "page size 10001"},
		{"a zoom past 16", s, "", SiteOptions{MaxZoom: 17}, "max zoom 17"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir
			if dir == "" {
				dir = filepath.Join(t.TempDir(), "site")
			}
			before := listDir(t, dir)
			n, err := tc.srv.ExportSite(ctx, dir, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want one naming %s", err, tc.want)
			}
			if n != 0 {
				t.Errorf("%d files written", n)
			}
			if after := listDir(t, dir); after != before {
				t.Errorf("a refused export changed the folder or its parent:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
	if _, err := s.ExportSite(ctx, full, SiteOptions{}); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("a full folder: %v, want ErrNotEmpty (the command maps it to a usage error naming --replace)", err)
	}
	// A cancelled export leaves the folder as it was too.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	before := listDir(t, full)
	if _, err := s.ExportSite(cancelled, full, SiteOptions{Replace: true}); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled export: %v", err)
	}
	if after := listDir(t, full); after != before {
		t.Errorf("a cancelled export changed the folder:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// Every items page is exported, and its links lead to the files of the
// pages beside it: walking next from the first page reads the whole layer,
// as the server pages it, and prev walks back.
func TestExportSiteItemsPages(t *testing.T) {
	if testing.Short() {
		t.Skip("exports the bundled dataset")
	}
	s := newExportServer(t)
	dir := filepath.Join(t.TempDir(), "site")
	const size = 4
	if _, err := s.ExportSite(context.Background(), dir, SiteOptions{PageSize: size}); err != nil {
		t.Fatal(err)
	}
	read := func(u string) []byte {
		t.Helper()
		rel, ok := strings.CutPrefix(u, exportBase+"/")
		if !ok || strings.ContainsAny(rel, "?#") {
			t.Fatalf("%s is not a file of the export", u)
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		return b
	}
	type page struct {
		NumberMatched, NumberReturned int
		Links                         []link
		Features                      []struct{ ID string }
	}
	rel := func(p page, r string) string {
		for _, l := range p.Links {
			if l.Rel == r {
				return l.Href
			}
		}
		return ""
	}
	all, err := s.store.Layers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	version, _ := s.store.Version(context.Background())
	multi := 0
	for _, l := range all {
		if l.Kind == layers.KindBasemap {
			continue
		}
		_, b := do(t, s, "GET", "/collections/"+l.ID+"/items?f=json&limit=10000")
		var want page
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		var wantIDs, gotIDs, urls []string
		for _, f := range want.Features {
			wantIDs = append(wantIDs, f.ID)
		}
		var last page
		for u := exportBase + "/collections/" + l.ID + "/items.json"; u != ""; u = rel(last, "next") {
			if len(urls) > len(wantIDs)/size+1 {
				t.Fatalf("%s: next links loop: %v", l.ID, urls)
			}
			urls = append(urls, u)
			last = page{}
			if err := json.Unmarshal(read(u), &last); err != nil {
				t.Fatal(err)
			}
			if last.NumberMatched != len(wantIDs) || last.NumberReturned != len(last.Features) || len(last.Features) > size {
				t.Errorf("%s: matched %d, returned %d of %d features", u, last.NumberMatched, last.NumberReturned, len(last.Features))
			}
			if self := rel(last, "self"); self != u {
				t.Errorf("%s names itself %s", u, self)
			}
			for _, f := range last.Features {
				gotIDs = append(gotIDs, f.ID)
			}
		}
		if strings.Join(gotIDs, " ") != strings.Join(wantIDs, " ") {
			t.Errorf("%s: the pages hold\n%v\nwant\n%v", l.ID, gotIDs, wantIDs)
		}
		for i := len(urls) - 1; i > 0; i-- {
			var p page
			json.Unmarshal(read(urls[i]), &p)
			if prev := rel(p, "prev"); prev != urls[i-1] {
				t.Errorf("%s: prev is %s, want %s", urls[i], prev, urls[i-1])
			}
		}
		// The addresses an OGC API client builds without an extension
		// are folders whose index is the same document.
		for folder, file := range map[string]string{
			"collections/" + l.ID + "/index.json":            "collections/" + l.ID + ".json",
			"collections/" + l.ID + "/items/index.json":      "collections/" + l.ID + "/items.json",
			"collections/" + l.ID + "/queryables/index.json": "collections/" + l.ID + "/queryables.json",
		} {
			if a, b := read(exportBase+"/"+folder), read(exportBase+"/"+file); !bytes.Equal(a, b) {
				t.Errorf("%s differs from %s", folder, file)
			}
		}
		if len(urls) > 1 {
			multi++
			// The HTML page links on to the next page's file.
			page := string(read(exportBase + "/collections/" + l.ID + "/items.html"))
			if next := `href="` + exportBase + "/collections/" + l.ID + "/items." + strconv.Itoa(size) + `.html" rel="next"`; !strings.Contains(page, next) {
				t.Errorf("%s/items.html lacks %s", l.ID, next)
			}
			if !strings.Contains(page, `id="export-version">A static copy of data version `+strconv.Itoa(version)+":") {
				t.Errorf("%s/items.html does not say its data version %d", l.ID, version)
			}
		}
	}
	for folder, file := range map[string]string{"collections/index.json": "collections.json", "conformance/index.json": "conformance.json", "api/index.json": "api.json", "sources/index.html": "sources.html"} {
		if a, b := read(exportBase+"/"+folder), read(exportBase+"/"+file); !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s", folder, file)
		}
	}
	if multi < 2 {
		t.Errorf("only %d layers span several pages of %d: the test proves little", multi, size)
	}
	// Nothing links to a page the export does not hold.
	if m := regexp.MustCompile(`items\?[^"]*offset=`).Find([]byte(listFiles(t, dir))); m != nil {
		t.Errorf("an exported page links to a query URL: %s", m)
	}
}

// listFiles returns the contents of every .json and .html file under dir.
func listFiles(t *testing.T, dir string) string {
	t.Helper()
	var sb strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".html")) {
			b, _ := os.ReadFile(p)
			sb.Write(b)
		}
		return nil
	})
	return sb.String()
}
