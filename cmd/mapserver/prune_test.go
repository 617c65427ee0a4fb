package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPrune(t *testing.T) {
	db := filepath.Join(t.TempDir(), "map.db")
	for i := 0; i < 3; i++ {
		if _, stderr, code := run(t, "import", "../../data", "--db", db); code != 0 {
			t.Fatalf("import: %s", stderr)
		}
	}
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
	for _, args := range [][]string{
		{"prune", "--db", db},
		{"prune", "--before", "last week", "--db", db},
		{"prune", "--before", tomorrow, "--keep", "1,x", "--db", db},
		{"prune", "extra", "--before", tomorrow, "--db", db},
	} {
		if _, stderr, code := run(t, args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, code, stderr)
		}
	}
	if _, stderr, code := run(t, "prune", "--before", tomorrow, "--keep", "7", "--db", db); code != 1 || !strings.Contains(stderr, "version 7") {
		t.Errorf("keeping a missing version: exit %d %s", code, stderr)
	}
	if out, stderr, code := run(t, "prune", "--before", "2000-01-01", "--db", db); code != 0 || !strings.Contains(out, "no data version") {
		t.Errorf("prune before 2000: exit %d %s %s", code, out, stderr)
	}
	out, stderr, code := run(t, "prune", "--before", tomorrow, "--keep", "1", "--db", db)
	if code != 0 || !strings.Contains(out, "pruned 1 data version(s): 2") {
		t.Fatalf("prune: exit %d %s %s", code, out, stderr)
	}
	if out, stderr, code := run(t, "check", "--db", db); code != 0 {
		t.Errorf("check after prune: exit %d %s %s", code, out, stderr)
	}
	if out, _, _ := run(t, "prune", "--before", tomorrow, "--keep", "1", "--db", db); !strings.Contains(out, "no data version") {
		t.Errorf("second prune: %s", out)
	}
}
