package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

// Editing keeps users, sessions and changesets in the store's file, in
// buckets of their own, created by the first write that needs them.
type Editing struct {
	db *bbolt.DB
}

var (
	_ layers.Users      = (*Editing)(nil)
	_ layers.Changesets = (*Editing)(nil)
)

var (
	bucketUsers      = []byte("users")      // name -> User
	bucketTokens     = []byte("tokens")     // token hash -> name
	bucketSessions   = []byte("sessions")   // session id hash -> Session
	bucketChangesets = []byte("changesets") // u64 id -> Changeset
)

// Editing returns the store's users and changesets.
func (s *Store) Editing() *Editing { return &Editing{db: s.db} }

func (e *Editing) update(fn func(tx *bbolt.Tx) error) error {
	return e.db.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketUsers, bucketTokens, bucketSessions, bucketChangesets} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return fn(tx)
	})
}

// view runs fn with the named bucket, or does nothing when no write has
// created it yet.
func (e *Editing) view(name []byte, fn func(b *bbolt.Bucket) error) error {
	return e.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(name)
		if b == nil {
			return nil
		}
		return fn(b)
	})
}

func (e *Editing) AddUser(ctx context.Context, u layers.User) error {
	return e.update(func(tx *bbolt.Tx) error {
		users := tx.Bucket(bucketUsers)
		if users.Get([]byte(u.Name)) != nil {
			return layers.Errorf(layers.ECONFLICT, "user %q already exists", u.Name)
		}
		if err := putEditing(users, []byte(u.Name), u); err != nil {
			return err
		}
		return tx.Bucket(bucketTokens).Put(u.TokenHash, []byte(u.Name))
	})
}

func (e *Editing) User(ctx context.Context, name string) (layers.User, error) {
	var u layers.User
	found := false
	err := e.view(bucketUsers, func(b *bbolt.Bucket) error {
		v := b.Get([]byte(name))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &u)
	})
	if err == nil && !found {
		err = layers.Errorf(layers.ENOTFOUND, "no user %q", name)
	}
	return u, err
}

func (e *Editing) UserByToken(ctx context.Context, hash []byte) (layers.User, error) {
	var name []byte
	e.view(bucketTokens, func(b *bbolt.Bucket) error {
		name = bytes.Clone(b.Get(hash))
		return nil
	})
	if name == nil {
		return layers.User{}, layers.Errorf(layers.ENOTFOUND, "no such token")
	}
	return e.User(ctx, string(name))
}

func (e *Editing) ListUsers(ctx context.Context) ([]layers.User, error) {
	var out []layers.User
	err := e.view(bucketUsers, func(b *bbolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			var u layers.User
			if err := json.Unmarshal(v, &u); err != nil {
				return fmt.Errorf("decode user %s: %w", k, err)
			}
			out = append(out, u)
			return nil
		})
	})
	return out, err
}

func (e *Editing) RevokeUser(ctx context.Context, name string, at time.Time) error {
	return e.update(func(tx *bbolt.Tx) error {
		users := tx.Bucket(bucketUsers)
		v := users.Get([]byte(name))
		if v == nil {
			return layers.Errorf(layers.ENOTFOUND, "no user %q", name)
		}
		var u layers.User
		if err := json.Unmarshal(v, &u); err != nil {
			return err
		}
		if u.Revoked.IsZero() {
			u.Revoked = at
		}
		if err := putEditing(users, []byte(name), u); err != nil {
			return err
		}
		if err := tx.Bucket(bucketTokens).Delete(u.TokenHash); err != nil {
			return err
		}
		// Its sessions end with it.
		sessions := tx.Bucket(bucketSessions)
		var stale [][]byte
		sessions.ForEach(func(k, v []byte) error {
			var s layers.Session
			if json.Unmarshal(v, &s) == nil && s.User == name {
				stale = append(stale, bytes.Clone(k))
			}
			return nil
		})
		for _, k := range stale {
			if err := sessions.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

func (e *Editing) AddSession(ctx context.Context, s layers.Session) error {
	return e.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		// Expired sessions go as new ones come.
		var stale [][]byte
		b.ForEach(func(k, v []byte) error {
			var old layers.Session
			if json.Unmarshal(v, &old) == nil && !old.Expires.After(s.Created) {
				stale = append(stale, bytes.Clone(k))
			}
			return nil
		})
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return putEditing(b, s.IDHash, s)
	})
}

func (e *Editing) Session(ctx context.Context, hash []byte, now time.Time) (layers.Session, error) {
	var s layers.Session
	found := false
	err := e.view(bucketSessions, func(b *bbolt.Bucket) error {
		v := b.Get(hash)
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &s)
	})
	if err == nil && (!found || !s.Expires.After(now)) {
		err = layers.Errorf(layers.ENOTFOUND, "no such session")
	}
	return s, err
}

func (e *Editing) DeleteSession(ctx context.Context, hash []byte) error {
	return e.update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketSessions).Delete(hash) })
}

func (e *Editing) SaveChangeset(ctx context.Context, c *layers.Changeset) error {
	return e.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketChangesets)
		if c.ID == 0 {
			n, err := b.NextSequence()
			if err != nil {
				return err
			}
			c.ID = int(n)
		}
		return putEditing(b, u64(uint64(c.ID)), c)
	})
}

// SaveChangesets stores several changesets that have ids in one
// transaction: one commit (and its fsync) for many writes, in order.
func (e *Editing) SaveChangesets(ctx context.Context, cs []*layers.Changeset) error {
	return e.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketChangesets)
		for _, c := range cs {
			if c.ID <= 0 {
				return fmt.Errorf("save changesets: a changeset without an id")
			}
			if err := putEditing(b, u64(uint64(c.ID)), c); err != nil {
				return err
			}
		}
		return nil
	})
}

func (e *Editing) Changeset(ctx context.Context, id int) (layers.Changeset, error) {
	var c layers.Changeset
	found := false
	err := e.view(bucketChangesets, func(b *bbolt.Bucket) error {
		if id <= 0 {
			return nil
		}
		v := b.Get(u64(uint64(id)))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &c)
	})
	if err == nil && !found {
		err = layers.Errorf(layers.ENOTFOUND, "changeset %d does not exist", id)
	}
	return c, err
}

func (e *Editing) ListChangesets(ctx context.Context) ([]layers.Changeset, error) {
	var out []layers.Changeset
	err := e.view(bucketChangesets, func(b *bbolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			var c layers.Changeset
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode changeset %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, c)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, err
}

func putEditing(b *bbolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}
