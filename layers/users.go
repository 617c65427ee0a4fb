package layers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"regexp"
	"time"
)

// Roles, each allowing what the one before allows and more.
const (
	RoleEditor   = "editor"   // writes drafts
	RoleReviewer = "reviewer" // also publishes and reverts changesets
	RoleAdmin    = "admin"    // also manages users
)

var roleRank = map[string]int{RoleEditor: 1, RoleReviewer: 2, RoleAdmin: 3}

// ValidRole reports whether r is one of the roles.
func ValidRole(r string) bool { return roleRank[r] > 0 }

// User is someone who may write. Only a hash of the token is kept.
type User struct {
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Created   time.Time `json:"created"`
	Revoked   time.Time `json:"revoked,omitzero"`
	TokenHash []byte    `json:"token_hash"`
}

// Active reports whether the user's token is still accepted.
func (u User) Active() bool { return u.Revoked.IsZero() }

// Can reports whether u's role includes role.
func (u User) Can(role string) bool {
	return u.Active() && roleRank[u.Role] >= roleRank[role] && roleRank[role] > 0
}

// Session is a browser's login: a random id kept in a cookie, and the CSRF
// token every write made with that cookie must repeat in a header. Both are
// kept only as hashes.
type Session struct {
	IDHash   []byte    `json:"id_hash"`
	User     string    `json:"user"`
	CSRFHash []byte    `json:"csrf_hash"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
}

// Users keeps users and sessions.
type Users interface {
	// AddUser stores a new user; ECONFLICT if the name is taken.
	AddUser(ctx context.Context, u User) error
	// User returns the named user, revoked or not; ENOTFOUND otherwise.
	User(ctx context.Context, name string) (User, error)
	// UserByToken returns the user whose token hashes to hash; ENOTFOUND
	// when none does.
	UserByToken(ctx context.Context, hash []byte) (User, error)
	// ListUsers returns every user, by name.
	ListUsers(ctx context.Context) ([]User, error)
	// RevokeUser stops the user's token and sessions; ENOTFOUND for an
	// unknown name.
	RevokeUser(ctx context.Context, name string, at time.Time) error

	AddSession(ctx context.Context, s Session) error
	// Session returns the session whose id hashes to hash; ENOTFOUND when
	// none does or it has expired.
	Session(ctx context.Context, hash []byte, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, hash []byte) error
}

var userPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidUserName reports whether name can name a user: it appears in
// changesets and feeds, so it is short and plain.
func ValidUserName(name string) bool { return userPattern.MatchString(name) }

// NewToken returns a random secret of 256 bits, URL-safe.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken is what is stored of a token: high-entropy secrets need no slow
// hash, and SHA-256 lets a lookup find them by key.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// SameHash compares two hashes in constant time.
func SameHash(a, b []byte) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare(a, b) == 1
}
