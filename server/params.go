package server

import (
	"errors"
	"strconv"
)

// maxOffset is the largest items offset: far past any layer, and small
// enough that offset+limit cannot overflow.
const maxOffset = 1<<31 - 1

// maxVersion is the largest data version a request may name.
const maxVersion = 1<<31 - 1

// intParam reads a whole number from lo to hi; anything else, however
// large, is a 400 naming the parameter.
func intParam(name, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badRequest("%s=%s must be a whole number from %d to %d", name, clipParam(v), lo, hi)
	}
	return n, nil
}

// cappedParam reads a whole number of at least lo where larger values mean
// "as many as you have": over hi is lowered to hi. A number past int64 is
// a 400 like any other that cannot be read.
func cappedParam(name, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if errors.Is(err, strconv.ErrRange) {
		return 0, badRequest("%s=%s is out of range: a whole number of at least %d (over %d is lowered to %d)", name, clipParam(v), lo, hi, hi)
	}
	if err != nil || n < lo {
		return 0, badRequest("%s=%s must be a whole number of at least %d", name, clipParam(v), lo)
	}
	return min(n, hi), nil
}

// clipParam keeps a long parameter value from filling a problem detail.
func clipParam(v string) string {
	if len(v) > 40 {
		return v[:40] + "…"
	}
	return v
}

// minSide is the smallest picture side staticmap draws.
const minSide = 16
