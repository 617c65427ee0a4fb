package bolt

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	bbolt "go.etcd.io/bbolt"
)

// Reads come from bbolt's memory map. Every page a query touches stays
// mapped into the process, and Linux maps the cached pages around each one
// it faults in too (fault-around), so after a few hundred queries over a
// large file the process's resident set holds most of the file, though
// none of it is allocated: it is the page cache, shared and reclaimable.
// To keep the resident set within a stated budget the store drops its
// mapped pages when they pass it; the data stays in the page cache, and the
// next read maps what it needs again.

// BoundResident checks every interval how much of the file is mapped into
// the process and, over limit bytes, unmaps it (see Release). It returns
// when ctx ends.
func (s *Store) BoundResident(ctx context.Context, limit int64, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := residentFile(); err == nil && n > limit {
			_ = s.Release()
		}
	}
}

// Release drops the process's mapping of the file's pages (madvise
// MADV_DONTNEED on a read-only shared mapping: nothing is lost, later reads
// fault the pages in again from the page cache). It runs inside a read
// transaction, which holds bbolt's mapping in place.
func (s *Store) Release() error {
	return s.db.View(func(tx *bbolt.Tx) error {
		return release(s.db.Info().Data, uintptr(tx.Size()))
	})
}

// residentFile is the process's resident file-backed memory (RssFile), in
// bytes.
func residentFile() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == "RssFile:" {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no RssFile in /proc/self/status")
}
