package jifen

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error class.
type Code string

const (
	EINVALID   Code = "invalid"   // bad input: unknown member, non-numeric points …
	ENOTFOUND  Code = "not_found" // an entry, approval or item that does not exist
	EFORBIDDEN Code = "forbidden" // the caller's role may not do this
	ELIMIT     Code = "limit"     // a range, cap or allowance would be exceeded
	ECONFLICT  Code = "conflict"  // already revoked, already decided …
	EINTERNAL  Code = "internal"  // anything unexpected; details go to the log only
)

// Error is an application error: a code, and a message key in the message
// catalog (package locale) with its arguments, so every platform renders it
// in the user's language. Anything that is not an *Error is internal: the
// user is told "internal error" and the operator reads the detail in the log.
type Error struct {
	Code Code
	Key  string // message catalog key, e.g. "err.cap_exceeded"
	Args []any  // positional arguments for the catalog's format string
}

// Errorf returns an *Error with the given code, message key and arguments.
func Errorf(code Code, key string, args ...any) *Error {
	return &Error{Code: code, Key: key, Args: args}
}

func (e *Error) Error() string {
	if len(e.Args) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Key)
	}
	return fmt.Sprintf("%s: %s %v", e.Code, e.Key, e.Args)
}

// ErrorCode returns the code of an application error, EINTERNAL for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}
