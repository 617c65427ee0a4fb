//go:build !linux

package bolt

// release does nothing where the resident set is not bounded this way.
func release(addr, size uintptr) error { return nil }
