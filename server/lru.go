package server

import (
	"container/list"
	"sync"
)

// lru is a bounded cache: tiles are too many to keep them all.
type lru[V any] struct {
	mu       sync.Mutex
	max      int
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

func (c *lru[V]) put(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		e.Value.(*lruEntry[V]).value = v
		c.order.MoveToFront(e)
		return
	}
	c.items[key] = c.order.PushFront(&lruEntry[V]{key: key, value: v})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*lruEntry[V]).key)
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
func (c *lru[V]) getOr(key string, build func() (V, error)) (V, error) {
	if v, ok := c.get(key); ok {
		return v, nil
	}
	c.mu.Lock()
	if cl, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		<-cl.done
		return cl.value, cl.err
	}
	cl := &call[V]{done: make(chan struct{})}
	c.inflight[key] = cl
	c.mu.Unlock()

	cl.value, cl.err = build()
	if cl.err == nil {
		c.put(key, cl.value)
	}
	c.mu.Lock()
	delete(c.inflight, key)
	c.mu.Unlock()
	close(cl.done)
	return cl.value, cl.err
}
