package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/user"
)

// SessionCookie is the name of the browser session cookie.
const SessionCookie = "humble_session"

// Principal is who is making a request.
type Principal struct {
	User     user.User // zero for an anonymous visitor
	OrgIDs   []int64
	ViaToken bool
}

// Anonymous reports whether nobody is signed in.
func (p *Principal) Anonymous() bool { return p == nil || p.User.ID == 0 }

// Actor is what the authorizer needs to know of the principal.
func (p *Principal) Actor() authz.Actor {
	if p == nil {
		return authz.Actor{}
	}
	return authz.Actor{UserID: p.User.ID, OrgIDs: p.OrgIDs}
}

const principalKey = "humble.principal"

// CurrentPrincipal returns who is making the request (never nil).
func CurrentPrincipal(c echo.Context) *Principal {
	if p, ok := c.Get(principalKey).(*Principal); ok {
		return p
	}
	return &Principal{}
}

// Authenticate works out the principal: a bearer token if the request has an
// Authorization header (then cookies are ignored), otherwise the session
// cookie. A bad bearer token is an error; a stale cookie is simply dropped.
func Authenticate(users *user.Service, orgs *org.Service, secure bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			p := &Principal{}
			if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
				secret, ok := strings.CutPrefix(h, "Bearer ")
				if !ok {
					return ErrUnauthenticated
				}
				u, err := users.TokenUser(ctx, strings.TrimSpace(secret))
				if err != nil {
					return err
				}
				p.User, p.ViaToken = u, true
			} else if ck, err := c.Cookie(SessionCookie); err == nil && ck.Value != "" {
				_, u, err := users.SessionUser(ctx, ck.Value)
				switch {
				case err == nil:
					p.User = u
				case errors.Is(err, user.ErrUnauthenticated):
					ClearSessionCookie(c, secure)
				default:
					return err
				}
			}
			if p.User.ID != 0 {
				ids, err := orgs.OrgIDsOf(ctx, p.User.ID)
				if err != nil {
					return err
				}
				p.OrgIDs = ids
			}
			c.Set(principalKey, p)
			return next(c)
		}
	}
}

// SetSessionCookie hands the browser its session.
func SetSessionCookie(c echo.Context, token string, secure bool, maxAge time.Duration) {
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge.Seconds())})
}

// ClearSessionCookie removes the session cookie.
func ClearSessionCookie(c echo.Context, secure bool) {
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// Authorize asks the authorizer whether the principal may act on res. An
// anonymous visitor who is refused is told to sign in (401), a signed-in
// person that they may not (403).
func Authorize(az *authz.Authorizer, c echo.Context, action string, res authz.Resource) error {
	p := CurrentPrincipal(c)
	if err := az.Can(p.Actor(), action, res); err != nil {
		if p.Anonymous() {
			return ErrUnauthenticated
		}
		return ErrForbidden
	}
	return nil
}
