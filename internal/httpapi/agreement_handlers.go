package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/agreement"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/validate"
)

// registerAgreements adds the routes of learning agreements. The fund's
// stewards and the members of the grantee organisation read, write and
// sign a grant's agreement; the fund's learning partners read it; nobody
// else does.
func (a *API) registerAgreements(g *echo.Group) {
	g.GET("/grants/:id/agreement", a.getAgreement)
	g.POST("/grants/:id/agreement", a.createAgreement)
	g.GET("/grants/:id/agreement/versions", a.listAgreementVersions)
	g.GET("/grants/:id/agreement/versions/:number", a.getAgreementVersion)
	g.GET("/grants/:id/agreement/versions/:number/changes", a.agreementChanges)
	g.PUT("/grants/:id/agreement/draft", a.editAgreementDraft)
	g.POST("/grants/:id/agreement/draft/sign", a.signAgreement)
	g.POST("/grants/:id/agreement/renegotiate", a.renegotiateAgreement)
}

// AgreementResource is a grant's agreement in its fund, owned by the
// grantee organisation.
func AgreementResource(fundID, orgID int64) authz.Resource {
	return authz.Resource{Kind: "agreement", Domain: authz.FundDomain(fundID), OwnerOrgID: orgID}
}

// AgreementGrant loads the grant in the path (404 if there is none) and
// checks action on its agreement (401/403).
func AgreementGrant(c echo.Context, az *authz.Authorizer, as *agreement.Service, action string) (agreement.Grant, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return agreement.Grant{}, err
	}
	g, err := as.Grant(c.Request().Context(), id)
	if err != nil {
		return g, err
	}
	return g, Authorize(az, c, action, AgreementResource(g.FundID, g.OrganisationID))
}

// StaleAgreement answers a StaleError: a 412 problem carrying what was
// sent ("yours") and the draft as it is now ("current"), with its ETag.
func StaleAgreement(c echo.Context, se *agreement.StaleError) error {
	p := ProblemFor(se)
	p.RequestID = RequestID(c)
	if se.Current != nil {
		c.Response().Header().Set("ETag", se.Current.ETag)
	}
	c.Response().Header().Set(echo.HeaderContentType, ProblemContentType)
	return c.JSON(http.StatusPreconditionFailed, struct {
		Problem
		Yours   any                `json:"yours"`
		Current *agreement.Version `json:"current"`
	}{p, se.Yours, se.Current})
}

func (a *API) getAgreement(c echo.Context) error {
	g, err := AgreementGrant(c, a.Authz, a.Agreements, "read")
	if err != nil {
		return err
	}
	ag, err := a.Agreements.Get(c.Request().Context(), g.ID)
	if err != nil {
		return err
	}
	if ag.Draft != nil {
		c.Response().Header().Set("ETag", ag.Draft.ETag)
	}
	return c.JSON(http.StatusOK, ag)
}

func (a *API) createAgreement(c echo.Context) error {
	g, err := AgreementGrant(c, a.Authz, a.Agreements, "create")
	if err != nil {
		return err
	}
	ag, err := a.Agreements.Create(c.Request().Context(), CurrentPrincipal(c).User.ID, g.ID)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", ag.Draft.ETag)
	return c.JSON(http.StatusCreated, ag)
}

func (a *API) listAgreementVersions(c echo.Context) error {
	g, err := AgreementGrant(c, a.Authz, a.Agreements, "read")
	if err != nil {
		return err
	}
	vs, err := a.Agreements.Versions(c.Request().Context(), g.ID)
	if err != nil {
		return err
	}
	return listed(c, vs, int64(len(vs)))
}

func versionNumber(c echo.Context) (int, error) {
	n, err := strconv.Atoi(c.Param("number"))
	if err != nil || n <= 0 {
		return 0, agreement.ErrNoVersion
	}
	return n, nil
}

func (a *API) getAgreementVersion(c echo.Context) error {
	g, err := AgreementGrant(c, a.Authz, a.Agreements, "read")
	if err != nil {
		return err
	}
	n, err := versionNumber(c)
	if err != nil {
		return err
	}
	v, err := a.Agreements.Version(c.Request().Context(), g.ID, n)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", v.ETag)
	return c.JSON(http.StatusOK, v)
}

func (a *API) agreementChanges(c echo.Context) error {
	g, err := AgreementGrant(c, a.Authz, a.Agreements, "read")
	if err != nil {
		return err
	}
	n, err := versionNumber(c)
	if err != nil {
		return err
	}
	ch, err := a.Agreements.Changes(c.Request().Context(), g.ID, n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

// draftEdit is the body of an edit: the content and the revision it was
// made from (or If-Match with the draft's ETag instead).
type draftEdit struct {
	Revision *int              `json:"revision" validate:"omitempty,min=0"`
	Content  agreement.Content `json:"content"`
}

// signing is the body of a signature: the revision read (or If-Match).
type signing struct {
	Revision *int `json:"revision" validate:"omitempty,min=1"`
}

// startedFrom works out the version and revision a change was made from:
// If-Match wins over the body's revision; one of them is required.
func startedFrom(c echo.Context, revision *int) (number, rev int, err error) {
	if h := c.Request().Header.Get("If-Match"); h != "" {
		n, r, ok := agreement.ParseETag(h)
		if !ok {
			return 0, 0, validate.Field("If-Match", `must be the ETag of the draft you read, such as "v1.r3"`)
		}
		return n, r, nil
	}
	if revision == nil {
		return 0, 0, validate.Field("revision", "is required: send the revision of the draft you started from (or If-Match with its ETag)")
	}
	return 0, *revision, nil
}

// bindAgreement reads a body strictly, naming first any target-like field.
func bindAgreement(c echo.Context, dst any) error {
	req := c.Request()
	body, err := io.ReadAll(io.LimitReader(req.Body, MaxBodyBytes+1))
	if err != nil {
		return err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	if err := agreement.ForbiddenField(body); err != nil {
		return err
	}
	return Bind(c, dst)
}

func (a *API) editAgreementDraft(c echo.Context) error {
	g, err := AgreementGrant(c, a.Authz, a.Agreements, "update")
	if err != nil {
		return err
	}
	var in draftEdit
	if err := bindAgreement(c, &in); err != nil {
		return err
	}
	number, rev, err := startedFrom(c, in.Revision)
	if err != nil {
		return err
	}
	ed, err := a.Agreements.EditDraft(c.Request().Context(), CurrentPrincipal(c).User.ID, g.ID,
		agreement.Edit{Number: number, Revision: rev, Content: in.Content})
	if se, ok := agreement.IsStale(err); ok {
		return StaleAgreement(c, se)
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", ed.ETag)
	return c.JSON(http.StatusOK, ed)
}

func (a *API) signAgreement(c echo.Context) error {
	g, err := AgreementGrant(c, a.Authz, a.Agreements, "sign")
	if err != nil {
		return err
	}
	var in signing
	if err := Bind(c, &in); err != nil {
		return err
	}
	number, rev, err := startedFrom(c, in.Revision)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	uid := CurrentPrincipal(c).User.ID
	side, err := a.Agreements.SideOf(ctx, uid, g)
	if err != nil {
		return err
	}
	v, err := a.Agreements.Sign(ctx, uid, g.ID, side, agreement.Signing{Number: number, Revision: rev})
	if se, ok := agreement.IsStale(err); ok {
		return StaleAgreement(c, se)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (a *API) renegotiateAgreement(c echo.Context) error {
	g, err := AgreementGrant(c, a.Authz, a.Agreements, "update")
	if err != nil {
		return err
	}
	v, err := a.Agreements.Renegotiate(c.Request().Context(), CurrentPrincipal(c).User.ID, g.ID)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", v.ETag)
	return c.JSON(http.StatusCreated, v)
}
