package ui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/money"
	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/validate"
)

// The panel's pages for one round: conflict-of-interest declarations (the
// member's form, the steward's table) and time and payment.

// panelRound loads the round in the path and its fund.
func (u *UI) panelRound(c echo.Context) (panel.Round, fund.Fund, error) {
	id, err := panelPathID(c)
	if err != nil {
		return panel.Round{}, fund.Fund{}, err
	}
	ctx := c.Request().Context()
	r, err := u.Panels.Round(ctx, id)
	if err != nil {
		return panel.Round{}, fund.Fund{}, err
	}
	f, err := u.Funds.Get(ctx, r.FundID)
	return r, f, err
}

// declarationRow is one application on the declaration form.
type declarationRow struct {
	panel.Application
	Kind, Note       string
	Declared         bool
	KindErr, NoteErr *fieldErr
}

// declarationCell is one member's declaration on one application in the
// steward's table.
type declarationCell struct{ Kind, Label, Note string }

type declarationTableRow struct {
	Name  string
	Cells []declarationCell
}

type declarationsData struct {
	Fund       fund.Fund
	Round      panel.Round
	StateName  string
	Open       bool
	CanDeclare bool
	Rows       []declarationRow
	Kinds      []choice
	Oversees   bool
	Apps       []panel.Application
	Table      []declarationTableRow
}

func kindChoices() []choice {
	out := make([]choice, 0, len(panel.DeclarationKinds))
	for _, k := range panel.DeclarationKinds {
		out = append(out, choice{k, panel.DeclarationKindNames[k]})
	}
	return out
}

func (u *UI) declarationsPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, f, err := u.panelRound(c)
	if err != nil {
		return err
	}
	if err := httpapi.Authorize(u.Authz, c, "list", httpapi.DeclarationResource(r.FundID, 0)); err != nil {
		return err
	}
	return u.renderDeclarations(c, http.StatusOK, u.newPage(c, ""), r, f)
}

func (u *UI) renderDeclarations(c echo.Context, status int, p page, r panel.Round, f fund.Fund) error {
	ctx := c.Request().Context()
	pr := httpapi.CurrentPrincipal(c)
	d := declarationsData{Fund: f, Round: r, StateName: panel.StateName(r.State), Open: panel.DeclarationsOpen(r.State),
		CanDeclare: u.Authz.Allowed(pr.Actor(), "create", httpapi.DeclarationResource(r.FundID, pr.User.ID)),
		Oversees:   httpapi.OverseesPanel(u.Authz, pr, r.FundID), Kinds: kindChoices()}
	apps, err := u.Panels.RoundApplications(ctx, r.ID)
	if err != nil {
		return err
	}
	d.Apps = apps
	if d.CanDeclare {
		own, err := u.Panels.Declarations(ctx, r.ID, pr.User.ID)
		if err != nil {
			return err
		}
		mine := map[int64]panel.Declaration{}
		for _, dc := range own {
			mine[dc.ApplicationID] = dc
		}
		for _, a := range apps {
			row := declarationRow{Application: a}
			if dc, ok := mine[a.ID]; ok {
				row.Kind, row.Note, row.Declared = dc.Kind, dc.Note, true
			}
			k, n := fmt.Sprintf("kind-%d", a.ID), fmt.Sprintf("note-%d", a.ID)
			if _, posted := p.Form[k]; posted {
				row.Kind, row.Note = p.Form[k], p.Form[n]
			}
			row.KindErr, row.NoteErr = p.FieldError(k), p.FieldError(n)
			d.Rows = append(d.Rows, row)
		}
	}
	if d.Oversees {
		if d.Table, err = u.declarationTable(c, r, apps); err != nil {
			return err
		}
	}
	p.Data = d
	return u.render(c, status, "panel_declarations", p)
}

// declarationTable is every panel member × every application.
func (u *UI) declarationTable(c echo.Context, r panel.Round, apps []panel.Application) ([]declarationTableRow, error) {
	ctx := c.Request().Context()
	all, err := u.Panels.Declarations(ctx, r.ID, 0)
	if err != nil {
		return nil, err
	}
	members, err := u.Panels.Members(ctx, r.FundID)
	if err != nil {
		return nil, err
	}
	type key struct{ user, app int64 }
	byKey := map[key]panel.Declaration{}
	names := map[int64]string{}
	var order []int64
	for _, m := range members {
		names[m.UserID] = m.DisplayName
		order = append(order, m.UserID)
	}
	for _, dc := range all {
		byKey[key{dc.UserID, dc.ApplicationID}] = dc
		if _, ok := names[dc.UserID]; !ok { // declared, since left the panel
			names[dc.UserID] = dc.DisplayName
			order = append(order, dc.UserID)
		}
	}
	var rows []declarationTableRow
	for _, uid := range order {
		row := declarationTableRow{Name: names[uid]}
		for _, a := range apps {
			cell := declarationCell{Label: "Not declared yet"}
			if dc, ok := byKey[key{uid, a.ID}]; ok {
				cell = declarationCell{Kind: dc.Kind, Label: panel.DeclarationKindNames[dc.Kind], Note: dc.Note}
			}
			row.Cells = append(row.Cells, cell)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (u *UI) declare(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, f, err := u.panelRound(c)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	if err := httpapi.Authorize(u.Authz, c, "create", httpapi.DeclarationResource(r.FundID, p.User.ID)); err != nil {
		return err
	}
	if !panel.DeclarationsOpen(r.State) {
		return fault.Conflictf("declarations are made while the round is in panel review or voting; this round is %s",
			panel.StateName(r.State))
	}
	apps, err := u.Panels.RoundApplications(c.Request().Context(), r.ID)
	if err != nil {
		return err
	}
	// Answer what you can now: a fieldset left blank is not declared.
	var set panel.DeclarationSet
	var entryApp []int64
	var errs []fieldErr
	for _, a := range apps {
		k, n := fmt.Sprintf("kind-%d", a.ID), fmt.Sprintf("note-%d", a.ID)
		p.Form[k], p.Form[n] = c.FormValue(k), c.FormValue(n)
		switch {
		case p.Form[k] != "":
			set.Declarations = append(set.Declarations, panel.DeclarationEntry{ApplicationID: a.ID, Kind: p.Form[k], Note: p.Form[n]})
			entryApp = append(entryApp, a.ID)
		case strings.TrimSpace(p.Form[n]) != "":
			errs = append(errs, fieldErr{k, fmt.Sprintf("Choose an answer for “%s”", a.Title)})
		}
	}
	if len(set.Declarations) == 0 && len(errs) == 0 && len(apps) > 0 {
		errs = append(errs, fieldErr{fmt.Sprintf("kind-%d", apps[0].ID), "Choose an answer for at least one application"})
	}
	if len(errs) > 0 {
		p.Errors = errs
		return u.renderDeclarations(c, http.StatusUnprocessableEntity, p, r, f)
	}
	_, err = u.Panels.Declare(c.Request().Context(), p.User.ID, r.ID, set)
	if ve, ok := validate.As(err); ok {
		for _, fe := range ve {
			p.Errors = append(p.Errors, declarationFieldErr(fe, entryApp, apps))
		}
		return u.renderDeclarations(c, http.StatusUnprocessableEntity, p, r, f)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/rounds/%d/declarations", r.ID))
}

// declarationFieldErr turns "declarations[2].note" into the form's field
// for that application, with words a person reads.
func declarationFieldErr(fe validate.FieldError, entryApp []int64, apps []panel.Application) fieldErr {
	var i int
	var field string
	if _, err := fmt.Sscanf(fe.Field, "declarations[%d].%s", &i, &field); err != nil || i < 0 || i >= len(entryApp) {
		return fieldErr{"declarations", "Declarations " + fe.Message}
	}
	title := ""
	for _, a := range apps {
		if a.ID == entryApp[i] {
			title = a.Title
		}
	}
	if field == "note" {
		if fe.Message == panel.NoteRequired {
			return fieldErr{fmt.Sprintf("note-%d", entryApp[i]), fmt.Sprintf("Say what the connection is with “%s”", title)}
		}
		return fieldErr{fmt.Sprintf("note-%d", entryApp[i]), fmt.Sprintf("Note on “%s” %s", title, fe.Message)}
	}
	return fieldErr{fmt.Sprintf("kind-%d", entryApp[i]), fmt.Sprintf("Answer for “%s” %s", title, fe.Message)}
}

type timeRow struct {
	panel.TimeRecord
	Hours, Paid string
}

type panelTimeData struct {
	Fund     fund.Fund
	Round    panel.Round
	Steward  bool
	Rows     []timeRow
	Members  []panel.PanelMember
	Payments []choice
}

func (u *UI) panelTimeAccess(c echo.Context, r panel.Round) (all bool, err error) {
	pr := httpapi.CurrentPrincipal(c)
	if u.Authz.Allowed(pr.Actor(), "list", httpapi.PanelTimeResource(r.FundID, 0)) {
		return true, nil
	}
	return false, httpapi.Authorize(u.Authz, c, "read", httpapi.PanelTimeResource(r.FundID, pr.User.ID))
}

func (u *UI) panelTimePage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, f, err := u.panelRound(c)
	if err != nil {
		return err
	}
	if _, err := u.panelTimeAccess(c, r); err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Form["payment"] = "amount"
	return u.renderPanelTime(c, http.StatusOK, p, r, f)
}

func (u *UI) renderPanelTime(c echo.Context, status int, p page, r panel.Round, f fund.Fund) error {
	ctx := c.Request().Context()
	all, err := u.panelTimeAccess(c, r)
	if err != nil {
		return err
	}
	who := p.User.ID
	if all {
		who = 0
	}
	recs, err := u.Panels.TimeRecords(ctx, r.ID, who)
	if err != nil {
		return err
	}
	d := panelTimeData{Fund: f, Round: r, Steward: all}
	for _, rec := range recs {
		row := timeRow{TimeRecord: rec, Hours: strconv.FormatFloat(rec.Hours, 'f', -1, 64), Paid: panel.PaymentNames[rec.Payment]}
		if rec.AmountMinor != nil {
			row.Paid = money.Format(*rec.AmountMinor, rec.Currency)
		}
		d.Rows = append(d.Rows, row)
	}
	if all {
		if d.Members, err = u.Panels.Members(ctx, r.FundID); err != nil {
			return err
		}
		for _, m := range panel.PaymentMethods {
			d.Payments = append(d.Payments, choice{m, panel.PaymentNames[m]})
		}
	}
	p.Data = d
	return u.render(c, status, "panel_time", p)
}

var panelTimeLabels = map[string]string{"user_id": "Member", "hours": "Hours", "payment": "Payment",
	"amount": "Amount", "amount_minor": "Amount", "note": "Note"}

func (u *UI) recordPanelTime(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, f, err := u.panelRound(c)
	if err != nil {
		return err
	}
	if err := httpapi.Authorize(u.Authz, c, "record", httpapi.PanelTimeResource(r.FundID, 0)); err != nil {
		return err
	}
	p := u.newPage(c, "")
	for _, k := range []string{"user_id", "hours", "payment", "amount", "note"} {
		p.Form[k] = strings.TrimSpace(c.FormValue(k))
	}
	in := panel.TimeEntry{Payment: p.Form["payment"], Note: p.Form["note"]}
	in.UserID, _ = strconv.ParseInt(p.Form["user_id"], 10, 64)
	var errs validate.Errors
	if p.Form["hours"] != "" {
		h, herr := strconv.ParseFloat(p.Form["hours"], 64)
		if herr != nil {
			errs = append(errs, validate.FieldError{Field: "hours", Message: "must be a number of hours, such as 3.5"})
		} else {
			in.Hours = &h
		}
	}
	if in.Payment == "amount" && p.Form["amount"] != "" {
		minor, merr := money.Parse(p.Form["amount"], f.Currency)
		if merr != nil {
			errs = append(errs, validate.FieldError{Field: "amount", Message: merr.Error()})
		} else {
			in.AmountMinor = &minor
		}
	}
	if len(errs) == 0 {
		_, _, err = u.Panels.RecordTime(c.Request().Context(), p.User.ID, r.ID, in)
	} else {
		err = errs
	}
	if ve, ok := validate.As(err); ok {
		for i := range ve {
			if ve[i].Field == "amount_minor" {
				ve[i].Field = "amount"
			}
		}
		p.Errors, _ = errorsOf(ve, panelTimeLabels)
		return u.renderPanelTime(c, http.StatusUnprocessableEntity, p, r, f)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/rounds/%d/panel-time", r.ID))
}
