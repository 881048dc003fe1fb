package ui

import (
	"errors"
	"github.com/humblehq/humble/internal/dialogue"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/user"
)

type homeFund struct{ Link, Name, Roles string }

type homeData struct {
	Funds     []homeFund // the funds the person has a role in
	OpenFunds []homeFund // funds anyone may read
	CanFound  bool       // a member of a funder organisation
	InOrg     bool       // a member of any organisation
	// Invitations are the dialogues waiting for the person's answer.
	Invitations []dialogue.Summary
}

func (u *UI) home(c echo.Context) error {
	p := u.newPage(c, "home")
	ctx := c.Request().Context()
	pr := httpapi.CurrentPrincipal(c)
	var d homeData
	mine := map[int64]bool{}
	for _, dom := range u.Authz.DomainsOf(pr.User.ID) {
		id, ok := authz.ParseFundDomain(dom)
		if !ok {
			continue
		}
		f, err := u.Funds.Get(ctx, id)
		if err != nil {
			continue // a role left on a fund that is gone
		}
		var roles []string
		for _, r := range u.Authz.RolesIn(pr.User.ID, dom) {
			roles = append(roles, fund.RoleNames[string(r)])
		}
		mine[id] = true
		d.Funds = append(d.Funds, homeFund{Link: "/funds/" + strconv.FormatInt(id, 10), Name: f.Name, Roles: strings.Join(roles, ", ")})
	}
	public, err := u.Funds.List(ctx, nil)
	if err != nil {
		return err
	}
	for _, f := range public {
		if !mine[f.ID] {
			d.OpenFunds = append(d.OpenFunds, homeFund{Link: "/funds/" + strconv.FormatInt(f.ID, 10), Name: f.Name})
		}
	}
	if !pr.Anonymous() {
		funders, err := u.funderOrgs(c)
		if err != nil {
			return err
		}
		d.CanFound = len(funders) > 0
		d.InOrg = len(pr.OrgIDs) > 0
		// Dialogues waiting for an answer, in funds where they still take
		// part (as the dialogue itself would open to them).
		invited, err := u.Dialogues.Invitations(ctx, pr.User.ID)
		if err != nil {
			return err
		}
		for _, inv := range invited {
			if u.Authz.Allowed(pr.Actor(), "read", httpapi.DialogueResource(inv.FundID)) {
				d.Invitations = append(d.Invitations, inv)
			}
		}
	}
	p.Data = d
	return u.render(c, http.StatusOK, "home", p)
}

func (u *UI) signInForm(c echo.Context) error {
	if !httpapi.CurrentPrincipal(c).Anonymous() {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	p := u.newPage(c, "sign-in")
	return u.render(c, http.StatusOK, "sign_in", p)
}

// signInFailed is the one message for an unknown email or a wrong password,
// so the form never reveals whether an account exists.
const signInFailed = "Email or password is not right. Check them and try again."

func (u *UI) signIn(c echo.Context) error {
	p := u.newPage(c, "sign-in")
	email := strings.TrimSpace(c.FormValue("email"))
	password := c.FormValue("password")
	p.Form["email"] = email
	if email == "" {
		p.Errors = append(p.Errors, fieldErr{"email", "Enter your email address"})
	}
	if password == "" {
		p.Errors = append(p.Errors, fieldErr{"password", "Enter your password"})
	}
	if len(p.Errors) > 0 {
		return u.render(c, http.StatusUnprocessableEntity, "sign_in", p)
	}
	usr, err := u.Users.Authenticate(c.Request().Context(), email, password, c.RealIP())
	switch {
	case errors.Is(err, user.ErrBadCredentials):
		p.Errors = []fieldErr{{"email", signInFailed}}
		return u.render(c, http.StatusUnauthorized, "sign_in", p)
	case errors.Is(err, user.ErrThrottled):
		p.Errors = []fieldErr{{"email", "Too many attempts to sign in. Wait 15 minutes, then try again."}}
		return u.render(c, http.StatusTooManyRequests, "sign_in", p)
	case err != nil:
		return err
	}
	token, _, err := u.Users.StartSession(c.Request().Context(), usr.ID)
	if err != nil {
		return err
	}
	httpapi.SetSessionCookie(c, token, u.Secure, u.SessionMax)
	return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
}

func (u *UI) signOut(c echo.Context) error {
	if ck, err := c.Cookie(httpapi.SessionCookie); err == nil && ck.Value != "" {
		if err := u.Users.EndSession(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	httpapi.ClearSessionCookie(c, u.Secure)
	return c.Redirect(http.StatusSeeOther, "/")
}

type invitationData struct {
	Invalid bool
	Email   string
	Action  string
}

func (u *UI) invitationForm(c echo.Context) error {
	p := u.newPage(c, "")
	inv, err := u.Users.PendingInvitation(c.Request().Context(), c.Param("token"))
	if errors.Is(err, user.ErrInvitationInvalid) {
		p.Data = invitationData{Invalid: true}
		return u.render(c, http.StatusGone, "invitation", p)
	} else if err != nil {
		return err
	}
	p.Form["display_name"] = inv.DisplayName
	p.Data = invitationData{Email: inv.Email, Action: c.Request().URL.Path}
	return u.render(c, http.StatusOK, "invitation", p)
}

var acceptanceLabels = map[string]string{"display_name": "Your name", "password": "Password"}

func (u *UI) acceptInvitation(c echo.Context) error {
	p := u.newPage(c, "")
	ctx := c.Request().Context()
	secret := c.Param("token")
	inv, err := u.Users.PendingInvitation(ctx, secret)
	if errors.Is(err, user.ErrInvitationInvalid) {
		p.Data = invitationData{Invalid: true}
		return u.render(c, http.StatusGone, "invitation", p)
	} else if err != nil {
		return err
	}
	in := user.Acceptance{DisplayName: c.FormValue("display_name"), Password: c.FormValue("password")}
	usr, err := u.Users.AcceptInvitation(ctx, secret, in)
	if fes, ok := errorsOf(err, acceptanceLabels); ok {
		p.Errors = fes
		p.Form["display_name"] = in.DisplayName
		p.Data = invitationData{Email: inv.Email, Action: c.Request().URL.Path}
		return u.render(c, http.StatusUnprocessableEntity, "invitation", p)
	} else if errors.Is(err, user.ErrInvitationInvalid) {
		p.Data = invitationData{Invalid: true}
		return u.render(c, http.StatusGone, "invitation", p)
	} else if err != nil {
		return err
	}
	token, _, err := u.Users.StartSession(ctx, usr.ID)
	if err != nil {
		return err
	}
	httpapi.SetSessionCookie(c, token, u.Secure, u.SessionMax)
	return c.Redirect(http.StatusSeeOther, "/")
}
