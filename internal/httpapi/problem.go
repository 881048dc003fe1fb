package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/user"
	"github.com/humblehq/humble/internal/validate"
)

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type      string                `json:"type"`
	Title     string                `json:"title"`
	Status    int                   `json:"status"`
	Detail    string                `json:"detail,omitempty"`
	Instance  string                `json:"instance,omitempty"`
	RequestID string                `json:"request_id,omitempty"`
	Errors    []validate.FieldError `json:"errors,omitempty"`
}

// ProblemContentType is the media type of every API error body.
const ProblemContentType = "application/problem+json"

// Edge errors that handlers return; the error handler maps them.
var (
	ErrUnauthenticated = errors.New("sign in, or send an API token as Authorization: Bearer …")
	ErrForbidden       = errors.New("you do not have permission to do this")
	ErrNotFound        = errors.New("not found")
)

// kind is one row of the mapping from errors to HTTP.
type kind struct {
	err    error
	status int
	slug   string
}

// kinds maps every domain's sentinel errors to a status, in one place.
var kinds = []kind{
	{ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated"},
	{user.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated"},
	{ErrForbidden, http.StatusForbidden, "forbidden"},
	{authz.ErrForbidden, http.StatusForbidden, "forbidden"},
	{ErrNotFound, http.StatusNotFound, "not-found"},
	{store.ErrNotFound, http.StatusNotFound, "not-found"},
	{user.ErrNotFound, http.StatusNotFound, "not-found"},
	{user.ErrTokenNotFound, http.StatusNotFound, "not-found"},
	{org.ErrNotFound, http.StatusNotFound, "not-found"},
	{user.ErrInvitationInvalid, http.StatusGone, "invitation-invalid"},
	{user.ErrBadCredentials, http.StatusUnauthorized, "bad-credentials"},
	{user.ErrThrottled, http.StatusTooManyRequests, "throttled"},
	{user.ErrEmailTaken, http.StatusConflict, "conflict"},
	{org.ErrIdentifierTaken, http.StatusConflict, "conflict"},
	{org.ErrAlreadyMember, http.StatusConflict, "conflict"},
	{store.ErrConflict, http.StatusConflict, "conflict"},
}

// ProblemFor turns any error into a problem. Unknown errors become a 500
// that says nothing of its cause; the caller logs the cause.
func ProblemFor(err error) Problem {
	if ve, ok := validate.As(err); ok {
		return Problem{Type: problemType("validation"), Title: "Some fields need attention",
			Status: http.StatusUnprocessableEntity, Detail: ve.Error(), Errors: ve}
	}
	var be *bodyError
	if errors.As(err, &be) {
		p := Problem{Type: problemType(be.slug), Title: http.StatusText(be.status), Status: be.status, Detail: be.detail}
		if be.field != "" {
			p.Errors = []validate.FieldError{{Field: be.field, Message: be.detail}}
		}
		return p
	}
	if f, ok := fault.As(err); ok {
		status, slug := faultStatus(f.Kind)
		return Problem{Type: problemType(slug), Title: http.StatusText(status), Status: status, Detail: f.Message}
	}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return Problem{Type: problemType(k.slug), Title: http.StatusText(k.status), Status: k.status, Detail: k.err.Error()}
		}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		p := Problem{Type: "about:blank", Title: http.StatusText(he.Code), Status: he.Code}
		if msg, ok := he.Message.(string); ok && msg != http.StatusText(he.Code) {
			p.Detail = msg
		}
		if he.Code == http.StatusRequestEntityTooLarge {
			p.Detail = "the request body is larger than this endpoint accepts"
		}
		return p
	}
	return Problem{Type: "about:blank", Title: http.StatusText(http.StatusInternalServerError),
		Status: http.StatusInternalServerError,
		Detail: "something went wrong on our side; quote the request id if you report it"}
}

func faultStatus(k fault.Kind) (int, string) {
	switch k {
	case fault.NotFound:
		return http.StatusNotFound, "not-found"
	case fault.Conflict:
		return http.StatusConflict, "conflict"
	case fault.Gone:
		return http.StatusGone, "gone"
	case fault.PreconditionFailed:
		return http.StatusPreconditionFailed, "precondition-failed"
	case fault.Forbidden:
		return http.StatusForbidden, "forbidden"
	}
	return http.StatusInternalServerError, "internal"
}

func problemType(slug string) string { return "urn:humble:problem:" + slug }

// IsAPI reports whether a request is for the JSON API (errors as problem+json).
func IsAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return len(p) >= 7 && p[:7] == "/api/v1"
}

// LogIfServerError logs the cause of 5xx problems with the request id.
func LogIfServerError(log *slog.Logger, c echo.Context, p Problem, err error) {
	if p.Status >= 500 {
		log.ErrorContext(c.Request().Context(), "request failed",
			"request_id", RequestID(c), "method", c.Request().Method, "path", c.Path(), "error", err)
	}
}

// ErrorHandler answers API requests with problem+json. Page requests are
// handed to pages, the page renderer's own handler.
func ErrorHandler(log *slog.Logger, pages func(c echo.Context, p Problem)) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := ProblemFor(err)
		p.RequestID = RequestID(c)
		LogIfServerError(log, c, p, err)
		if p.Status == http.StatusUnauthorized && IsAPI(c) {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="humble"`)
		}
		if !IsAPI(c) && pages != nil {
			pages(c, p)
			return
		}
		c.Response().Header().Set(echo.HeaderContentType, ProblemContentType)
		c.Response().WriteHeader(p.Status)
		if c.Request().Method == http.MethodHead {
			return
		}
		_ = jsonEncode(c.Response(), p)
	}
}
