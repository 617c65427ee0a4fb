package geo

import (
	"fmt"
	"time"
)

// DateSpan returns the instant span a partial ISO 8601 date covers:
// "2025" is all of 2025, "2025-07" all of July, "2025-07-10" that day. The
// end is exclusive.
func DateSpan(s string) (start, end time.Time, err error) {
	for _, f := range []struct {
		layout string
		next   func(time.Time) time.Time
	}{
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
	} {
		if len(s) != len(f.layout) {
			continue
		}
		t, err := time.Parse(f.layout, s)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("date %q: %w", s, err)
		}
		return t, f.next(t), nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("date %q is not YYYY, YYYY-MM or YYYY-MM-DD", s)
}
