// Package edit is citemap's write side: users and their tokens, sessions,
// changesets of draft edits, and publishing a changeset as one data version.
// It holds the rules; the HTTP server and the command line only call it.
package edit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/places"
)

// SessionTTL is how long a browser session lasts.
const SessionTTL = 12 * time.Hour

// Service is the write side over one store. Every write goes through one
// lock: drafts, publishes and imports are few, and serializing them makes
// each If-Match check and each publish atomic.
type Service struct {
	store layers.Store
	pub   layers.Publisher
	users layers.Users
	cs    *changesetCache
	log   *slog.Logger
	now   func() time.Time
	// placeLayerMax: see Config.PlaceLayerMax.
	placeLayerMax int

	mu sync.Mutex

	places struct {
		sync.Mutex
		m       *places.Matcher
		version int
	}
	classes struct { // geometry class by layer
		sync.Mutex
		m map[string]layerClass
	}
	countries struct { // the basemap's countries, by its layers' revisions
		sync.Mutex
		key   string
		areas *layers.CountryAreas
	}
}

// Config is what a Service is built from.
type Config struct {
	Store      layers.Store
	Publisher  layers.Publisher // nil: changesets cannot be published
	Users      layers.Users
	Changesets layers.Changesets
	Logger     *slog.Logger
	Now        func() time.Time // default time.Now
	// PlaceLayerMax is the most features a layer may have for its features
	// to be candidates of place suggestions (default DefaultPlaceLayerMax).
	PlaceLayerMax int
}

// DefaultPlaceLayerMax keeps the place matcher, built in memory for each
// data version, to the size of a map's cited layers: a layer of a million
// synthetic or bulk-imported features would be decoded whole at every
// publish and held as names in the matcher. Its features stay found by
// search.
const DefaultPlaceLayerMax = 10_000

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, pub: cfg.Publisher, users: cfg.Users, cs: &changesetCache{store: cfg.Changesets}, log: cfg.Logger, now: cfg.Now, placeLayerMax: cfg.PlaceLayerMax}
	if s.placeLayerMax <= 0 {
		s.placeLayerMax = DefaultPlaceLayerMax
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Store is the store the service writes to.
func (s *Service) Store() layers.Store { return s.store }

// Recover finishes what a crash interrupted: a changeset whose data version
// was written but whose record still says open is marked published.
func (s *Service) Recover(ctx context.Context) error {
	if s.pub == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	versions, err := s.pub.Versions(ctx)
	if err != nil {
		return err
	}
	byCS := map[int]layers.VersionInfo{}
	for _, v := range versions {
		if id, err := strconv.Atoi(v.Changeset); err == nil {
			byCS[id] = v
		}
	}
	all, err := s.cs.ListChangesets(ctx)
	if err != nil {
		return err
	}
	for _, c := range all {
		v, ok := byCS[c.ID]
		if !ok || (c.State != layers.Open && c.State != stateDiscarded) {
			continue
		}
		c.State, c.Version, c.Time, c.Publisher = layers.Published, v.Version, v.Time, v.Author
		if err := s.cs.SaveChangeset(ctx, &c); err != nil {
			return err
		}
		if c.Reverts > 0 {
			if err := s.markReverted(ctx, c.Reverts, c.ID); err != nil {
				return err
			}
		}
		s.log.Info("recovered a published changeset", "changeset", c.ID, "version", v.Version)
	}
	return nil
}

// stateDiscarded marks a revert whose publication failed: never shown.
const stateDiscarded = "discarded"

// Users.

// AddUser creates a user and returns its token: the only time it is seen.
func (s *Service) AddUser(ctx context.Context, name, role string) (layers.User, string, error) {
	if !layers.ValidUserName(name) {
		return layers.User{}, "", layers.Errorf(layers.EINVALID, "user name %q: use letters, digits, '.', '_' or '-' (at most 64)", name)
	}
	if !layers.ValidRole(role) {
		return layers.User{}, "", layers.Errorf(layers.EINVALID, "role %q is not editor, reviewer or admin", role)
	}
	token, err := layers.NewToken()
	if err != nil {
		return layers.User{}, "", err
	}
	u := layers.User{Name: name, Role: role, Created: s.now().UTC(), TokenHash: layers.HashToken(token)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.users.AddUser(ctx, u); err != nil {
		return layers.User{}, "", err
	}
	s.log.Info("user added", "user", name, "role", role)
	return u, token, nil
}

// ListUsers returns every user.
func (s *Service) ListUsers(ctx context.Context) ([]layers.User, error) {
	return s.users.ListUsers(ctx)
}

// RevokeUser stops a user's token and sessions at once.
func (s *Service) RevokeUser(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.users.RevokeUser(ctx, name, s.now().UTC()); err != nil {
		return err
	}
	s.log.Info("user revoked", "user", name)
	return nil
}

var errUnauthorized = layers.Errorf(layers.EUNAUTHORIZED, "wrong or revoked token")

// Authenticate returns the active user a token belongs to.
func (s *Service) Authenticate(ctx context.Context, token string) (layers.User, error) {
	if token == "" {
		return layers.User{}, errUnauthorized
	}
	h := layers.HashToken(token)
	u, err := s.users.UserByToken(ctx, h)
	switch {
	case layers.ErrorCode(err) == layers.ENOTFOUND:
		return layers.User{}, errUnauthorized
	case err != nil:
		return layers.User{}, err
	case !layers.SameHash(u.TokenHash, h) || !u.Active():
		return layers.User{}, errUnauthorized
	}
	return u, nil
}

// Login exchanges a token for a session: its id (for a cookie) and the CSRF
// token writes made with it must send back in a header.
func (s *Service) Login(ctx context.Context, token string) (u layers.User, session, csrf string, err error) {
	if u, err = s.Authenticate(ctx, token); err != nil {
		return u, "", "", err
	}
	if session, err = layers.NewToken(); err != nil {
		return u, "", "", err
	}
	csrf = CSRFToken(session)
	now := s.now().UTC()
	err = s.users.AddSession(ctx, layers.Session{
		IDHash: layers.HashToken(session), User: u.Name, CSRFHash: layers.HashToken(csrf),
		Created: now, Expires: now.Add(SessionTTL),
	})
	return u, session, csrf, err
}

// CSRFToken is the CSRF token of a session, derived from its secret id
// (HMAC-SHA256), so a reloaded page can ask for it again (GET /session)
// while the store keeps only hashes of both.
func CSRFToken(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte("citemap csrf token"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SessionUser returns the user of a live session and the hash of its CSRF
// token.
func (s *Service) SessionUser(ctx context.Context, session string) (layers.User, []byte, error) {
	if session == "" {
		return layers.User{}, nil, errUnauthorized
	}
	h := layers.HashToken(session)
	sess, err := s.users.Session(ctx, h, s.now())
	if layers.ErrorCode(err) == layers.ENOTFOUND || (err == nil && !layers.SameHash(sess.IDHash, h)) {
		return layers.User{}, nil, layers.Errorf(layers.EUNAUTHORIZED, "the session has ended: log in again")
	}
	if err != nil {
		return layers.User{}, nil, err
	}
	u, err := s.users.User(ctx, sess.User)
	if err != nil || !u.Active() {
		return layers.User{}, nil, errUnauthorized
	}
	return u, sess.CSRFHash, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, session string) error {
	return s.users.DeleteSession(ctx, layers.HashToken(session))
}

// Require returns a 403 error unless u's role includes role.
func Require(u layers.User, role string) error {
	if !u.Can(role) {
		return layers.Errorf(layers.EFORBIDDEN, "user %s is %s; this needs the %s role", u.Name, u.Role, role)
	}
	return nil
}

// Import writes an import as a new data version, serialized with the other
// writes: what `mapserver import` hands to a running server.
func (s *Service) Import(ctx context.Context, imp *layers.Import) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store.Import(ctx, imp, nil)
}

// Prune makes the data versions published before t unreadable, but the
// latest and those in keep, serialized with the other writes: what
// `mapserver prune` hands to a running server.
func (s *Service) Prune(ctx context.Context, before time.Time, keep []int) ([]int, error) {
	if err := s.needPublisher(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	removed, err := s.pub.Prune(ctx, before, keep)
	if err == nil && len(removed) > 0 {
		s.log.Info("data versions pruned", "before", before, "removed", removed)
	}
	return removed, err
}

// unprocessable joins a message and the problems behind it into one error.
func unprocessable(ps layers.Problems, format string, args ...any) error {
	return errors.Join(layers.Errorf(layers.EUNPROCESSABLE, format, args...), ps)
}

func csID(id int) string { return strconv.Itoa(id) }

func errf(code, format string, args ...any) error { return layers.Errorf(code, format, args...) }
