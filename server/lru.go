package server

import (
	"container/list"
	"context"
	"fmt"
	"sync"
)

// lru is a bounded cache: tiles are too many to keep them all. It holds at
// most max entries and, when sizeOf is set, at most maxBytes of them.
type lru[V any] struct {
	mu       sync.Mutex
	max      int
	maxBytes int
	bytes    int
	sizeOf   func(V) int
	order    *list.List // front = most recently used
	items    map[string]*list.Element
	inflight map[string]*call[V] // builds under way, shared by getOr
}

// call is one build that concurrent getOr calls for the same key wait on.
type call[V any] struct {
	done  chan struct{}
	value V
	err   error
}

type lruEntry[V any] struct {
	key   string
	value V
}

// newBytesLRU is an lru bounded by the bytes its values hold as well.
func newBytesLRU[V any](max, maxBytes int, sizeOf func(V) int) *lru[V] {
	c := newLRU[V](max)
	c.maxBytes, c.sizeOf = maxBytes, sizeOf
	return c
}

func newLRU[V any](max int) *lru[V] {
	return &lru[V]{max: max, order: list.New(), items: map[string]*list.Element{}, inflight: map[string]*call[V]{}}
}

func (c *lru[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruEntry[V]).value, true
	}
	var zero V
	return zero, false
}

func (c *lru[V]) size(v V) int {
	if c.sizeOf == nil {
		return 0
	}
	return c.sizeOf(v)
}

func (c *lru[V]) put(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.maxBytes > 0 && c.size(v) > c.maxBytes {
		return // larger than the whole budget: served, not kept
	}
	if e, ok := c.items[key]; ok {
		c.bytes += c.size(v) - c.size(e.Value.(*lruEntry[V]).value)
		e.Value.(*lruEntry[V]).value = v
		c.order.MoveToFront(e)
	} else {
		c.items[key] = c.order.PushFront(&lruEntry[V]{key: key, value: v})
		c.bytes += c.size(v)
	}
	for c.order.Len() > c.max || (c.maxBytes > 0 && c.bytes > c.maxBytes) {
		last := c.order.Back()
		c.order.Remove(last)
		e := last.Value.(*lruEntry[V])
		c.bytes -= c.size(e.value)
		delete(c.items, e.key)
	}
}

func (c *lru[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// getOr returns the value for key, building and keeping it on a miss.
// Concurrent misses on one key build it once: a burst of first requests on a
// large layer must not build its snapshot many times over.
//
// The build runs on its own goroutine with ctx's values but not its
// cancellation, so every caller, the first included, stops waiting when its
// own ctx ends while the build goes on for the others. A build that fails or
// panics is not kept and its in-flight entry is cleared: the next request
// for the key builds afresh.
func (c *lru[V]) getOr(ctx context.Context, key string, build func(context.Context) (V, error)) (V, error) {
	if v, ok := c.get(key); ok {
		return v, nil
	}
	c.mu.Lock()
	cl, ok := c.inflight[key]
	if !ok {
		cl = &call[V]{done: make(chan struct{})}
		c.inflight[key] = cl
		go c.run(context.WithoutCancel(ctx), key, cl, build)
	}
	c.mu.Unlock()
	select {
	case <-cl.done:
		return cl.value, cl.err
	case <-ctx.Done():
		var zero V
		return zero, fmt.Errorf("waiting for %s: %w", key, ctx.Err())
	}
}

// run builds key for cl and wakes its waiters, whatever build does.
func (c *lru[V]) run(ctx context.Context, key string, cl *call[V], build func(context.Context) (V, error)) {
	defer func() {
		if r := recover(); r != nil {
			cl.err = fmt.Errorf("building %s: panic: %v", key, r)
		}
		if cl.err == nil {
			c.put(key, cl.value)
		}
		c.mu.Lock()
		delete(c.inflight, key)
		c.mu.Unlock()
		close(cl.done)
	}()
	cl.value, cl.err = build(ctx)
}
