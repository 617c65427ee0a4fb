package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// bigLayer writes a citemap layer file replacing "bases" with n cited points.
func bigLayer(t *testing.T, n int) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "bases.geojson")
	out, err := os.Create(f)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(out)
	w.WriteString(`{"type":"FeatureCollection","layer":{"id":"bases","title":"Bases","kind":"bases"},"features":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			w.WriteByte(',')
		}
		fmt.Fprintf(w, `{"type":"Feature","id":"b%07d","geometry":{"type":"Point","coordinates":[%.5f,%.5f]},"properties":{"name":"point %d","claims":[{"passage":"p004-06","aspect":"existence","relation":"supports","basis":"explicit"}]}}`,
			i, 40+float64(i%1000)/100, 39+float64(i/1000%500)/100, i)
	}
	w.WriteString("]}")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return f
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

var checkedFeatures = regexp.MustCompile(`ok: (\d+) layers, (\d+) features`)

// TestKillDuringImport kills `mapserver import` with SIGKILL at random
// points: every time, the database opens, passes `mapserver check --db`
// (bbolt's page check included), and holds either the old data or the whole
// new import, never a mix.
func TestKillDuringImport(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 60000 features a dozen times; skipped in -short mode (make check)")
	}
	rounds := 10
	if v := os.Getenv("CITEMAP_KILL_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CITEMAP_KILL_ROUNDS=%q is not a number of rounds", v)
		}
		rounds = n
	}
	const n = 60000
	layer := bigLayer(t, n)
	base := filepath.Join(t.TempDir(), "base.db")
	if _, stderr, code := run(t, "import", "../../data", "--db", base); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	count := func(db string) int {
		out, stderr, code := run(t, "check", "--db", db)
		m := checkedFeatures.FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("check --db failed (exit %d):\n%s%s", code, out, stderr)
		}
		c, err := strconv.Atoi(m[2])
		if err != nil {
			t.Fatalf("check --db: feature count %q: %v", m[2], err)
		}
		return c
	}
	before := count(base)
	after := before - 2 + n // the 2 bundled bases give way to n points

	// How long a whole import takes here, to spread the kills over it.
	full := filepath.Join(t.TempDir(), "full.db")
	copyFile(t, base, full)
	began := time.Now()
	if _, stderr, code := run(t, "import", layer, "--db", full); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	took := time.Since(began)
	if got := count(full); got != after {
		t.Fatalf("a complete import holds %d features, want %d", got, after)
	}

	// The kill moments are random; the seed is logged so a failure can be
	// replayed: CITEMAP_KILL_SEED=<seed> go test -run TestKillDuringImport.
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("CITEMAP_KILL_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("CITEMAP_KILL_SEED=%q is not a seed: %v", v, err)
		}
	}
	t.Logf("kill moments from seed %d (replay with CITEMAP_KILL_SEED=%d)", seed, seed)
	r := rand.New(rand.NewPCG(7, seed))
	old, whole := 0, 0
	for i := 0; i < rounds; i++ {
		db := filepath.Join(t.TempDir(), "kill.db")
		copyFile(t, base, db)
		cmd := exec.Command(binary, "import", layer, "--db", db)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wait := time.Duration(r.Int64N(int64(took + took/5)))
		time.Sleep(wait) // a random moment of the import: the point of the test
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Fatalf("kill: %v", err)
		}
		// Killed, or finished before the signal came: both are fine here.
		if err := cmd.Wait(); err != nil && cmd.ProcessState.ExitCode() != -1 {
			t.Fatalf("round %d: import failed on its own: %v", i, err)
		}
		switch got := count(db); got {
		case before:
			old++
		case after:
			whole++
		default:
			t.Fatalf("round %d (killed after %s, seed %d): %d features, neither the old %d nor the new %d", i, wait, seed, got, before, after)
		}
	}
	if old+whole != rounds {
		t.Fatalf("%d of %d rounds were checked", old+whole, rounds)
	}
	t.Logf("%d kill -9 rounds survived (import takes %s): %d held the old data, %d the complete import", rounds, took.Round(time.Millisecond), old, whole)
}
