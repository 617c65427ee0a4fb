package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/citemap/citemap/layers/bolt"
)

// prune removes old data versions. Every version stays readable (pinned)
// until pruned by hand; prune never removes the latest or one named in
// --keep, and never changes what a remaining version reads.
func (m *Main) prune(ctx context.Context, args []string) error {
	fset := m.flags("prune", "prune --before DATE [--keep V,V] [--db FILE]")
	before := fset.String("before", "", "remove the versions published before this date (YYYY-MM-DD, UTC) or RFC 3339 time")
	keep := fset.String("keep", "", "comma-separated data versions to keep whatever their date")
	dbPath := fset.String("db", m.env("MAPSERVER_DB", "./mapserver.db"), "database file (env MAPSERVER_DB)")
	pos, err := m.parse(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: prune takes no arguments, got %q", errUsage, pos)
	}
	if *before == "" {
		return fmt.Errorf("%w: --before DATE is required", errUsage)
	}
	t, err := time.Parse(time.DateOnly, *before)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, *before); err != nil {
			return fmt.Errorf("%w: --before %q is neither a date (2025-01-31) nor an RFC 3339 time", errUsage, *before)
		}
	}
	var kept []int
	for _, s := range strings.Split(*keep, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			return fmt.Errorf("%w: --keep %q: %q is not a data version", errUsage, *keep, s)
		}
		kept = append(kept, v)
	}

	// A server holding the database prunes for us, between its writes.
	var removed []int
	err = withDB(ctx, *dbPath, func(st *bolt.Store) error {
		var err error
		removed, err = st.Prune(ctx, t, kept)
		return err
	}, func() error {
		res, err := callControl(ctx, *dbPath, controlRequest{Op: "prune", Before: t, Keep: kept})
		removed = res.Pruned
		return err
	})
	if err != nil {
		return err
	}
	if len(removed) == 0 {
		fmt.Fprintf(m.Stdout, "no data version before %s to prune\n", t.Format(time.RFC3339))
		return nil
	}
	names := make([]string, len(removed))
	for i, v := range removed {
		names[i] = strconv.Itoa(v)
	}
	fmt.Fprintf(m.Stdout, "pruned %d data version(s): %s\n", len(removed), strings.Join(names, ", "))
	return nil
}
