package layers

import (
	"errors"
	"fmt"
)

// Error codes. Adapters map them to their own status values in one place
// (the HTTP server to status codes, the CLI to exit messages).
const (
	ENOTFOUND = "not_found" // the named layer, feature, source or passage does not exist
	EINVALID  = "invalid"   // the input breaks a rule; the message says which
	ECONFLICT = "conflict"  // the input contradicts what is stored
	ELOCKED   = "locked"    // the database is held by another process
	EINTERNAL = "internal"  // a bug or an I/O failure

	EUNAUTHORIZED  = "unauthorized"  // no credentials, or a wrong or revoked token
	EFORBIDDEN     = "forbidden"     // the user's role does not allow it
	ESTALE         = "stale"         // an If-Match names a state that is no longer current
	EUNPROCESSABLE = "unprocessable" // a well-formed write that breaks a rule of the data
	ETOOLARGE      = "too_large"     // the input is over a stated size limit
)

// Error is a domain error with a code and a message fit to show a user.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var ps Problems
	if errors.As(err, &ps) {
		return EINVALID
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the *Error's message
// when there is one, a generic text otherwise so internals do not leak.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	var ps Problems
	if errors.As(err, &ps) {
		return ps.Error()
	}
	return "internal error"
}
