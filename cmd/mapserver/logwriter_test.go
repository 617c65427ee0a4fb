package main

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLogWriter(t *testing.T) {
	var out lockedBuffer
	l := newLogWriter(&out, time.Hour) // only explicit flushes here
	l.Write([]byte("one\n"))
	if out.String() != "" {
		t.Error("written before a flush")
	}
	l.Flush()
	if out.String() != "one\n" {
		t.Errorf("after Flush: %q", out.String())
	}
	l.Write([]byte("two\n"))
	l.Close()
	if out.String() != "one\ntwo\n" {
		t.Errorf("after Close: %q", out.String())
	}
}
