package ui

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/user"
)

type accountData struct {
	Tokens    []user.APIToken
	NewSecret string
}

func selfResource(c echo.Context, kind string) authz.Resource {
	return authz.Resource{Kind: kind, Domain: authz.Installation, OwnerUserID: httpapi.CurrentPrincipal(c).User.ID}
}

func (u *UI) account(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	if err := httpapi.Authorize(u.Authz, c, "read", selfResource(c, "account")); err != nil {
		return err
	}
	p := u.newPage(c, "account")
	secret := ""
	if ck, err := c.Cookie(newTokenCookie); err == nil {
		secret = ck.Value
		u.setNewTokenCookie(c, "")
		p.Notice = "Token created."
	}
	return u.renderAccount(c, http.StatusOK, p, secret)
}

// newTokenCookie carries a just-created token's secret across the redirect
// after the form (post/redirect/get), so reloading the page neither makes a
// second token nor shows the secret again: it is read once and cleared.
const newTokenCookie = "humble_new_token"

func (u *UI) setNewTokenCookie(c echo.Context, secret string) {
	ck := &http.Cookie{Name: newTokenCookie, Value: secret, Path: "/account", HttpOnly: true,
		Secure: u.Secure, SameSite: http.SameSiteStrictMode, MaxAge: 120}
	if secret == "" {
		ck.MaxAge = -1
	}
	c.SetCookie(ck)
}

func (u *UI) renderAccount(c echo.Context, status int, p page, secret string) error {
	tokens, err := u.Users.Tokens(c.Request().Context(), p.User.ID)
	if err != nil {
		return err
	}
	p.Data = accountData{Tokens: tokens, NewSecret: secret}
	return u.render(c, status, "account", p)
}

func (u *UI) createToken(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	if err := httpapi.Authorize(u.Authz, c, "create", selfResource(c, "token")); err != nil {
		return err
	}
	p := u.newPage(c, "account")
	in := user.NewToken{Name: c.FormValue("name")}
	secret, _, err := u.Users.CreateToken(c.Request().Context(), p.User.ID, in)
	if fes, ok := errorsOf(err, map[string]string{"name": "Token name"}); ok {
		p.Errors = fes
		p.Form["name"] = in.Name
		return u.renderAccount(c, http.StatusUnprocessableEntity, p, "")
	} else if err != nil {
		return err
	}
	u.setNewTokenCookie(c, secret)
	return c.Redirect(http.StatusSeeOther, "/account")
}

func (u *UI) revokeToken(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	if err := httpapi.Authorize(u.Authz, c, "revoke", selfResource(c, "token")); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return httpapi.ErrNotFound
	}
	if err := u.Users.RevokeToken(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account")
}
