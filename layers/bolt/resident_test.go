package bolt

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
)

// Release unmaps the file's pages from the process and loses nothing:
// every read afterwards answers as before; BoundResident keeps the
// process's mapped file pages under its limit.
func TestReleaseKeepsTheData(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the resident set is bounded on Linux only")
	}
	ctx := context.Background()
	s, _ := withPolygons(t, 20000)
	all := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	read := func() int {
		n := 0
		err := s.ReadIndex(ctx, "synthetic", func(li layers.LayerIndex) error {
			return li.Scan("", func(b layers.Body) bool {
				n += len(b.Geometry) + len(b.Properties)
				return true
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	want := read()
	before, err := residentFile()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Release(); err != nil {
		t.Fatal(err)
	}
	after, _ := residentFile()
	if after >= before {
		t.Errorf("RssFile %d before Release, %d after", before, after)
	}
	if got := read(); got != want {
		t.Errorf("read %d bytes after Release, %d before", got, want)
	}
	if got := len(searchIDs(t, s, "synthetic", all)); got != 20000 {
		t.Errorf("%d features found after Release", got)
	}

	bctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.BoundResident(bctx, 1<<20, time.Millisecond); close(done) }()
	read()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n, _ := residentFile(); n < before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("BoundResident did not bring the mapped pages down")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}
