package server

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/citemap/citemap/frontend"
)

// The built files are sent in the best form the client takes that the
// build made beside them, with the headers a cache needs to keep each form
// apart; a client that takes none gets the file as built.
func TestAssetEncodings(t *testing.T) {
	plain := []byte(strings.Repeat("console.log('citemap');\n", 200))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	br := []byte("brotli form") // sent as built: its bytes are the build's business
	assets := fstest.MapFS{
		"index.html":                {Data: []byte("<!doctype html><title>map</title>")},
		"assets/app-X1.js":          {Data: plain},
		"assets/app-X1.js.br":       {Data: br},
		"assets/app-X1.js.gz":       {Data: gz.Bytes()},
		"assets/chunk-Y2.js":        {Data: plain},
		"assets/chunk-Y2.js.gz":     {Data: gz.Bytes()},
		"assets/font-Z3.woff2":      {Data: []byte("wOF2 font")},
		"assets/embed.js":           {Data: []byte("/* resize */")},
		"assets/sub/favicon-W4.svg": {Data: []byte("<svg/>")},
		// The labels' glyphs: folders named by font stack, spaces and all.
		"assets/glyphs-G5/Noto Sans Bold/0-255.pbf":    {Data: []byte("glyphs")},
		"assets/glyphs-G5/Noto Sans Bold/0-255.pbf.gz": {Data: gz.Bytes()},
		"elsewhere/secret.txt":                         {Data: []byte("not an asset")},
	}
	s, err := New(miniStore(t), Config{Assets: assets})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, ae     string
		status       int
		encoding     string
		body         []byte
		vary         bool
		cacheControl string
	}{
		{"/assets/app-X1.js", "gzip, deflate, br, zstd", 200, "br", br, true, "immutable"},
		{"/assets/app-X1.js", "br", 200, "br", br, true, "immutable"},
		{"/assets/app-X1.js", "gzip", 200, "gzip", gz.Bytes(), true, "immutable"},
		{"/assets/app-X1.js", "br;q=0, gzip", 200, "gzip", gz.Bytes(), true, "immutable"},
		{"/assets/app-X1.js", "GZIP;q=0.5", 200, "gzip", gz.Bytes(), true, "immutable"},
		{"/assets/app-X1.js", "*", 200, "br", br, true, "immutable"},
		{"/assets/app-X1.js", "*, br;q=0", 200, "gzip", gz.Bytes(), true, "immutable"},
		{"/assets/app-X1.js", "identity", 200, "", plain, true, "immutable"},
		{"/assets/app-X1.js", "", 200, "", plain, true, "immutable"},
		{"/assets/app-X1.js", "gzip;q=0, br;q=0", 200, "", plain, true, "immutable"},
		// Only a gzip form: sent to a client that takes brotli too.
		{"/assets/chunk-Y2.js", "gzip, br", 200, "gzip", gz.Bytes(), true, "immutable"},
		// Nothing to compress: as built, and no Vary.
		{"/assets/font-Z3.woff2", "gzip, br", 200, "", []byte("wOF2 font"), false, "immutable"},
		{"/assets/sub/favicon-W4.svg", "", 200, "", []byte("<svg/>"), false, "immutable"},
		// MapLibre asks for the glyph files with the stack's spaces escaped.
		{"/assets/glyphs-G5/Noto%20Sans%20Bold/0-255.pbf", "", 200, "", []byte("glyphs"), true, "immutable"},
		{"/assets/glyphs-G5/Noto%20Sans%20Bold/0-255.pbf", "gzip", 200, "gzip", gz.Bytes(), true, "immutable"},
		{"/assets/glyphs-G5/Noto%20Sans%20Bold/256-511.pbf", "", 404, "", nil, false, ""},
		{"/assets/%2e%2e/elsewhere/secret.txt", "", 404, "", nil, false, ""},
		// The resize script host pages name: not immutable.
		{"/assets/embed.js", "", 200, "", []byte("/* resize */"), false, "max-age=3600"},
		// A compressed form under its own name (a static export copies it).
		{"/assets/app-X1.js.gz", "", 200, "", gz.Bytes(), false, "immutable"},
		{"/assets/missing.js", "gzip", 404, "", nil, false, ""},
		{"/assets/../elsewhere/secret.txt", "", 404, "", nil, false, ""},
		{"/assets/", "", 404, "", nil, false, ""},
	} {
		res, body := do(t, s, "GET", tc.path, "Accept-Encoding", tc.ae)
		name := tc.path + " [" + tc.ae + "]"
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", name, res.StatusCode, tc.status)
			continue
		}
		if tc.status != 200 {
			if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "problem+json") {
				t.Errorf("%s: %s, want a problem", name, ct)
			}
			continue
		}
		if got := res.Header.Get("Content-Encoding"); got != tc.encoding {
			t.Errorf("%s: Content-Encoding %q, want %q", name, got, tc.encoding)
		}
		if !bytes.Equal(body, tc.body) {
			t.Errorf("%s: body %.40q, want %.40q", name, body, tc.body)
		}
		if got := strings.Contains(res.Header.Get("Vary"), "Accept-Encoding"); got != tc.vary {
			t.Errorf("%s: Vary %q, want Accept-Encoding: %v", name, res.Header.Get("Vary"), tc.vary)
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, tc.cacheControl) {
			t.Errorf("%s: Cache-Control %q, want %s", name, cc, tc.cacheControl)
		}
		if strings.HasSuffix(tc.path, ".js") && !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
			t.Errorf("%s: Content-Type %q", name, res.Header.Get("Content-Type"))
		}
	}
}

// countingFS counts the files read out of it, by name.
type countingFS struct {
	fs.FS
	mu    sync.Mutex
	reads map[string]int
}

func (c *countingFS) Open(name string) (fs.File, error) {
	f, err := c.FS.Open(name)
	if err == nil {
		if st, serr := f.Stat(); serr == nil && !st.IsDir() {
			c.mu.Lock()
			c.reads[name]++
			c.mu.Unlock()
		}
	}
	return f, err
}

func (c *countingFS) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads[name]
}

// A server reads no asset at start, and a request reads only the form it
// sends, once however often it is asked for: the built front end (5 MB)
// is not held in memory by a server nobody has visited.
func TestAssetsReadOnFirstRequest(t *testing.T) {
	fsys := &countingFS{reads: map[string]int{}, FS: fstest.MapFS{
		"index.html":          {Data: []byte("<!doctype html>")},
		"assets/app-X1.js":    {Data: []byte("console.log(1)")},
		"assets/app-X1.js.br": {Data: []byte("brotli form")},
		"assets/app-X1.js.gz": {Data: []byte("gzip form")},
		"assets/style-S1.css": {Data: []byte("body{}")},
	}}
	s, err := New(miniStore(t), Config{Assets: fsys})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"assets/app-X1.js", "assets/app-X1.js.br", "assets/app-X1.js.gz", "assets/style-S1.css"} {
		if n := fsys.count(name); n != 0 {
			t.Errorf("%s read %d times at start, want 0", name, n)
		}
	}
	for i := 0; i < 3; i++ {
		res, body := do(t, s, "GET", "/assets/app-X1.js", "Accept-Encoding", "br")
		if res.StatusCode != 200 || string(body) != "brotli form" {
			t.Fatalf("request %d: %d %q", i, res.StatusCode, body)
		}
	}
	for name, want := range map[string]int{"assets/app-X1.js.br": 1, "assets/app-X1.js": 0, "assets/app-X1.js.gz": 0, "assets/style-S1.css": 0} {
		if n := fsys.count(name); n != want {
			t.Errorf("%s read %d times after three brotli requests, want %d", name, n, want)
		}
	}
}

// An asset that cannot be read when first asked for is a server error,
// with a problem body, not an empty answer.
func TestAssetUnreadable(t *testing.T) {
	fsys := &failingFS{FS: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}, "assets/app-X1.js": {Data: []byte("x")}}}
	s, err := New(miniStore(t), Config{Assets: fsys})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := do(t, s, "GET", "/assets/app-X1.js")
	if res.StatusCode != 500 || !strings.Contains(res.Header.Get("Content-Type"), "problem+json") {
		t.Errorf("unreadable asset: %d %s, want a 500 problem", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

// failingFS lists its files but fails to open any under assets/ (only
// Open is promoted: fs.ReadFile goes through it).
type failingFS struct{ fs.FS }

func (f *failingFS) Open(name string) (fs.File, error) {
	if strings.HasPrefix(name, "assets/") && path.Ext(name) != "" {
		return nil, errors.New("disk gone")
	}
	return f.FS.Open(name)
}

// The gzip files the front end's build made are the files they stand for
// (the brotli ones are checked by the build test, as Go has no brotli).
func TestBuiltAssetsCompressedForms(t *testing.T) {
	fsys := frontend.Assets()
	if _, err := fs.Stat(fsys, "assets"); err != nil {
		t.Skip("the front end is not built (make frontend)")
	}
	all, err := loadAssets(fsys)
	if err != nil {
		t.Fatal(err)
	}
	withForms := 0
	read := func(f *assetFile) []byte {
		if f == nil {
			return nil
		}
		b, err := f.bytes()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, a := range all {
		plain, br, gz := read(a.plain), read(a.br), read(a.gzip)
		if strings.HasSuffix(name, ".js") && len(plain) > 10_000 && (br == nil || gz == nil) {
			t.Errorf("%s (%d bytes): the build made no brotli or gzip form", name, len(plain))
		}
		if gz == nil {
			continue
		}
		withForms++
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatalf("%s.gz: %v", name, err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("%s.gz does not inflate to %s (%v)", name, name, err)
		}
		if len(br) >= len(gz) {
			t.Errorf("%s: brotli form %d bytes, gzip %d: the build's brotli level is off", name, len(br), len(gz))
		}
	}
	if withForms < 3 {
		t.Errorf("%d built assets have compressed forms, want the app, the worker and the stylesheet at least", withForms)
	}
}

func TestAcceptsCoding(t *testing.T) {
	for _, tc := range []struct {
		ae, coding string
		want       bool
	}{
		{"gzip", "gzip", true},
		{"gzip, deflate, br, zstd", "br", true},
		{"deflate", "gzip", false},
		{"", "gzip", false},
		{"gzip;q=0", "gzip", false},
		{"gzip; q=0.001", "gzip", true},
		{"gzip;q=0.0", "gzip", false},
		{"*", "br", true},
		{"*;q=0", "br", false},
		{"*;q=0, br", "br", true},
		{"br;q=0, *", "br", false},
		{"Gzip", "gzip", true},
		{"x-gzip", "gzip", false},
		{" gzip ; q=1 ", "gzip", true},
		{"gzip;q=abc", "gzip", true}, // an unreadable weight is no refusal
	} {
		if got := acceptsCoding(tc.ae, tc.coding); got != tc.want {
			t.Errorf("acceptsCoding(%q, %q) = %v, want %v", tc.ae, tc.coding, got, tc.want)
		}
	}
}
