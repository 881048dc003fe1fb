// Package fault holds the generic kinds that domain errors unwrap to, so the
// HTTP edge maps every domain's errors in one place without knowing them:
// a domain returns fault.Conflict("…") and the API answers 409 with that
// sentence as the problem's detail.
package fault

import (
	"errors"
	"fmt"
)

// Kind is what sort of failure an error is.
type Kind int

// The kinds, each with its HTTP status at the edge.
const (
	NotFound           Kind = iota + 1 // 404: no such record, or not one you may know of
	Conflict                           // 409: the record's state forbids it (an invalid transition)
	Gone                               // 410: it existed but is no longer usable
	PreconditionFailed                 // 412: the version you edited is not the current one
	Forbidden                          // 403: allowed in general, but not here and now
)

// Error is a domain failure with a message written for the person who
// caused it: it is shown to them as is.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Message }

func newf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf reports a missing record.
func NotFoundf(format string, args ...any) error { return newf(NotFound, format, args...) }

// Conflictf reports a change the record's current state forbids.
func Conflictf(format string, args ...any) error { return newf(Conflict, format, args...) }

// Gonef reports something that no longer exists or has expired.
func Gonef(format string, args ...any) error { return newf(Gone, format, args...) }

// PreconditionFailedf reports an edit based on an old version.
func PreconditionFailedf(format string, args ...any) error {
	return newf(PreconditionFailed, format, args...)
}

// Forbiddenf reports an action the rules do not allow in this situation.
func Forbiddenf(format string, args ...any) error { return newf(Forbidden, format, args...) }

// As returns the fault in err's chain, if any.
func As(err error) (*Error, bool) {
	var f *Error
	ok := errors.As(err, &f)
	return f, ok
}
