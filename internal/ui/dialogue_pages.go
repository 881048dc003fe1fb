package ui

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/dialogue"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/validate"
)

// registerDialoguePages adds the pages of peer accountability dialogues: a
// fund's dialogues with the form to convene one, a dialogue (answers,
// notes, actions, issues, follow-ups), the notes' versions, the stewards'
// page of issues passed up, and each person's own actions. They ask the
// authorizer and internal/dialogue the same questions as the API.
func (u *UI) registerDialoguePages(e *echo.Echo) {
	e.GET("/funds/:id/dialogues", u.dialoguesPage)
	e.POST("/funds/:id/dialogues", u.conveneDialogue)
	e.GET("/dialogues/:id", u.dialoguePage)
	e.POST("/dialogues/:id/response", u.respondToDialogue)
	e.POST("/dialogues/:id/participants", u.inviteToDialogue)
	e.GET("/dialogues/:id/notes", u.dialogueNotesPage)
	e.POST("/dialogues/:id/notes", u.saveDialogueNotes)
	e.POST("/dialogues/:id/actions", u.addDialogueAction)
	e.POST("/actions/:id", u.updateDialogueAction)
	e.POST("/dialogues/:id/issues", u.passUpIssue)
	e.GET("/funds/:id/issues", u.issuesPage)
	e.POST("/issues/:id/answer", u.answerIssue)
	e.GET("/me/actions", u.myActionsPage)
}

var dialogueNotices = map[string]string{
	"convened": "The dialogue is convened. The people you invited see it now and can accept or decline.",
	"accepted": "You are taking part. Welcome.",
	"declined": "You declined. The dialogue no longer appears for you.",
	"invited":  "They are invited.",
	"notes":    "The notes are saved as a new version.",
	"action":   "The action is recorded.",
	"changed":  "The action is updated.",
	"issue":    "The issue is passed up to the fund's stewards. Their answer will appear here.",
	"answered": "Your answer is sent. It cannot be changed.",
}

// dialogueLabels name the form fields in error messages.
var dialogueLabels = map[string]string{
	"purpose": "The purpose", "meets_on": "The date", "invitees": "The people invited", "prompts": "The prompts",
	"open_questions": "The open questions", "sources": "What it starts from", "follows_up": "The dialogue it follows up",
	"body": "The text", "what": "What will be done", "owner_id": "Who owns it", "due_on": "By when",
	"dropped_reason": "The reason for dropping it", "status": "The status", "answer": "Your answer",
}

// dialogueFormLabels name a field that means something different in
// each of a dialogue's forms, by form and field.
var dialogueFormLabels = map[string]string{"notes-body": "The notes", "issue-body": "The issue you pass up"}

// dialogueItemLabels name one item of a listed field.
var dialogueItemLabels = map[string]string{
	"invitees": "One of the people invited", "sources": "One of the accounts or sections it starts from",
	"prompts": "One of the prompts",
}

// dialogueErrors turns a validation failure into the page's error list,
// pointing each at the field id (indexed fields at their list); anchor
// names the form, for fields that mean something different in each.
func dialogueErrors(err error, anchor string, ids map[string]string) ([]fieldErr, bool) {
	ve, ok := validate.As(err)
	if !ok {
		return nil, false
	}
	out := make([]fieldErr, 0, len(ve))
	for _, f := range ve {
		base, rest, indexed := strings.Cut(f.Field, "[")
		label, message := dialogueLabels[base], f.Message
		if l, ok := dialogueFormLabels[anchor+"-"+base]; ok {
			label = l
		}
		if label == "" {
			label = "This field"
		}
		// An indexed field is one of a list: say so, and never show
		// a source's section keys.
		if base == "invitees" && !indexed {
			switch {
			case message == "is required" || strings.HasPrefix(message, "must be at least"):
				label, message = "Tick", "at least one person to invite"
			case strings.HasPrefix(message, "must be at most "):
				label, message = "Invite", strings.TrimPrefix(message, "must be ")+" people at a time"
			}
		}
		if l, ok := dialogueItemLabels[base]; ok && indexed {
			label = l
			if strings.Contains(rest, ".") {
				message = "is not a submitted account (or a section of one) in this fund that you can read"
			}
		}
		id := base
		if mapped, ok := ids[base]; ok {
			id = mapped
		}
		out = append(out, fieldErr{ID: id, Message: sentence(label + " " + message)})
	}
	return out, true
}

// dialogueFund loads the fund in the path for the signed-in person and
// checks action on its dialogues.
func (u *UI) dialogueFund(c echo.Context, action string) (fund.Fund, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return fund.Fund{}, httpapi.ErrNotFound
	}
	f, err := httpapi.VisibleFund(c.Request().Context(), u.Authz, u.Funds, httpapi.CurrentPrincipal(c), id)
	if err != nil {
		return f, err
	}
	return f, httpapi.Authorize(u.Authz, c, action, httpapi.DialogueResource(id))
}

// sourceChoice is an account or section a convener may start from.
type sourceChoice struct {
	Value, Label string
	Checked      bool
}

func sourceLabel(s dialogue.Source) string {
	who := s.OrganisationName
	if s.Kind == "funder" {
		who = "The funder's reflection"
	}
	label := fmt.Sprintf("%s, %s to %s", who, longDate(s.PeriodStart), longDate(s.PeriodEnd))
	switch {
	case s.SectionKey != "":
		label += ": " + s.SectionTitle
	case s.Kind == "funder":
		label += " (the whole reflection)"
	default:
		label += " (the whole account)"
	}
	return label
}

// sortSources puts each account's sections in the order the account
// itself gives them, the whole account first, keeping the accounts in
// the order they came.
func sortSources(ss []dialogue.Source) {
	first := map[int64]int{}
	for i, s := range ss {
		if _, ok := first[s.AccountID]; !ok {
			first[s.AccountID] = i
		}
	}
	slices.SortStableFunc(ss, func(a, b dialogue.Source) int {
		if c := cmp.Compare(first[a.AccountID], first[b.AccountID]); c != 0 {
			return c
		}
		return cmp.Compare(slices.Index(account.SectionKeys, a.SectionKey), slices.Index(account.SectionKeys, b.SectionKey))
	})
}

func sourceValue(s dialogue.Source) string {
	if s.SectionKey == "" {
		return strconv.FormatInt(s.AccountID, 10)
	}
	return fmt.Sprintf("%d/%s", s.AccountID, s.SectionKey)
}

// personChoice is someone who may be invited or own an action.
type personChoice struct {
	ID      int64
	Name    string
	Roles   string
	Checked bool
}

// dialoguesData is a fund's dialogues page.
type dialoguesData struct {
	Fund       fund.Fund
	Items      []dialogue.Summary
	CanConvene bool
	Steward    bool
	People     []personChoice
	Sources    []sourceChoice
	Earlier    []dialogue.Summary
	FollowsUp  string
	StatusName map[string]string
}

func (u *UI) dialoguesPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	f, err := u.dialogueFund(c, "list")
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Notice = dialogueNotices[c.QueryParam("notice")]
	p.Form["prompts"] = strings.Join(dialogue.DefaultPrompts, "\n")
	p.Form["follows_up"] = c.QueryParam("follows_up")
	return u.renderDialogues(c, http.StatusOK, p, f, nil, nil)
}

func (u *UI) renderDialogues(c echo.Context, status int, p page, f fund.Fund, invited []int64, sources []string) error {
	ctx, pr := c.Request().Context(), httpapi.CurrentPrincipal(c)
	items, err := u.Dialogues.List(ctx, f.ID, pr.User.ID)
	if err != nil {
		return err
	}
	d := dialoguesData{Fund: f, Items: items, StatusName: dialogue.ParticipationNames, FollowsUp: p.Form["follows_up"],
		CanConvene: u.Authz.Allowed(pr.Actor(), "create", httpapi.DialogueResource(f.ID)),
		Steward:    u.Authz.Allowed(pr.Actor(), "list", httpapi.IssueResource(f.ID))}
	for _, it := range items {
		if it.MyStatus == dialogue.Convener || it.MyStatus == dialogue.Accepted {
			d.Earlier = append(d.Earlier, it)
		}
	}
	if d.CanConvene {
		people, err := u.Dialogues.People(ctx, f.ID)
		if err != nil {
			return err
		}
		for _, ps := range people {
			if ps.UserID == pr.User.ID {
				continue
			}
			names := make([]string, len(ps.Roles))
			for i, r := range ps.Roles {
				names[i] = fund.RoleNames[r]
			}
			d.People = append(d.People, personChoice{ID: ps.UserID, Name: ps.DisplayName, Roles: strings.Join(names, ", "),
				Checked: hasID(invited, ps.UserID)})
		}
		canRead, err := httpapi.DialogueSourceReader(ctx, u.Authz, u.Accounts, pr, f.ID)
		if err != nil {
			return err
		}
		cands, err := u.Dialogues.SourceCandidates(ctx, f.ID, canRead)
		if err != nil {
			return err
		}
		sortSources(cands)
		for _, s := range cands {
			v := sourceValue(s)
			d.Sources = append(d.Sources, sourceChoice{Value: v, Label: sourceLabel(s), Checked: hasString(sources, v)})
		}
	}
	p.Data = d
	return u.render(c, status, "dialogue_list", p)
}

func hasID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func hasString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// postedIDs reads the ids in a repeated form field; anything else is left
// for the domain to refuse by its index.
func postedIDs(c echo.Context, name string) []int64 {
	var out []int64
	for _, s := range postedValues(c, name) {
		n, _ := strconv.ParseInt(s, 10, 64)
		out = append(out, n)
	}
	return out
}

func postedValues(c echo.Context, name string) []string {
	if err := c.Request().ParseForm(); err != nil {
		return nil
	}
	return c.Request().PostForm[name]
}

func (u *UI) conveneDialogue(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	f, err := u.dialogueFund(c, "create")
	if err != nil {
		return err
	}
	in := dialogue.NewDialogue{Purpose: c.FormValue("purpose"), MeetsOn: c.FormValue("meets_on"),
		OpenQuestions: c.FormValue("open_questions"), Invitees: postedIDs(c, "invitees")}
	for _, line := range strings.Split(c.FormValue("prompts"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			in.Prompts = append(in.Prompts, line)
		}
	}
	sources := postedValues(c, "sources")
	for _, s := range sources {
		idText, key, _ := strings.Cut(s, "/")
		n, _ := strconv.ParseInt(idText, 10, 64)
		in.Sources = append(in.Sources, dialogue.SourceRef{AccountID: n, SectionKey: key})
	}
	if s := c.FormValue("follows_up"); s != "" {
		n, _ := strconv.ParseInt(s, 10, 64)
		in.FollowsUp = &n
	}
	ctx, pr := c.Request().Context(), httpapi.CurrentPrincipal(c)
	canRead, err := httpapi.DialogueSourceReader(ctx, u.Authz, u.Accounts, pr, f.ID)
	if err != nil {
		return err
	}
	id, err := u.Dialogues.Convene(ctx, pr.User.ID, f.ID, in, canRead)
	if err != nil {
		errs, ok := dialogueErrors(err, "", map[string]string{"invitees": "invitees", "sources": "sources"})
		if !ok {
			return err
		}
		p := u.newPage(c, "")
		p.Errors = errs
		for _, k := range []string{"purpose", "meets_on", "prompts", "open_questions", "follows_up"} {
			p.Form[k] = c.FormValue(k)
		}
		return u.renderDialogues(c, http.StatusUnprocessableEntity, p, f, in.Invitees, sources)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/dialogues/%d?notice=convened", id))
}

// dialogueData is a dialogue's page.
type dialogueData struct {
	D        dialogue.Dialogue
	Me       int64
	CanWrite bool
	Invited  bool
	// Steward: the person answers the fund's issues passed up.
	Steward    bool
	Invitable  []personChoice
	Owners     []personChoice
	StatusName map[string]string
	Statuses   []choice
	FundName   string
	// NotesBody is what the notes editor holds: the latest version, or
	// the words of an edit that could not be saved.
	NotesBody    string
	NotesVersion int
	// ActionErr and IssueErr name the action whose change failed.
	ActionErr  int64
	ActionForm map[string]string
	// Rows are the actions with their forms; EarlierRows the earlier
	// dialogue's actions still open.
	Rows, EarlierRows []actionRow
}

// actionRow is an action with what its status form needs.
type actionRow struct {
	A          dialogue.Action
	CSRF       string
	From       int64
	CanWrite   bool
	StatusName string
	Statuses   []choice
	StatusErr  *fieldErr
	ReasonErr  *fieldErr
	Reason     string
	// Selected is the status the form shows: the action's own, or the
	// one just asked for when the change could not be saved.
	Selected string
}

func (d dialogueData) rows(p page, as []dialogue.Action) []actionRow {
	out := make([]actionRow, 0, len(as))
	for _, a := range as {
		r := actionRow{A: a, CSRF: p.CSRF, From: d.D.ID, CanWrite: d.CanWrite, StatusName: dialogue.StatusNames[a.Status],
			Statuses: d.Statuses, Reason: a.DroppedReason, Selected: a.Status,
			StatusErr: p.FieldError(fmt.Sprintf("status-%d", a.ID)), ReasonErr: p.FieldError(fmt.Sprintf("dropped_reason-%d", a.ID))}
		if a.ID == d.ActionErr {
			r.Reason = d.ActionForm["dropped_reason"]
			if _, ok := dialogue.StatusNames[d.ActionForm["status"]]; ok {
				r.Selected = d.ActionForm["status"]
			}
		}
		out = append(out, r)
	}
	return out
}

// splitParas splits text into paragraphs at blank lines and line breaks.
func splitParas(s string) []string {
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// Paras splits text into paragraphs, for the templates.
func (dialogueData) Paras(s string) []string { return splitParas(s) }

// Paras splits text into paragraphs, for the templates.
func (dialogueNotesData) Paras(s string) []string { return splitParas(s) }

// Paras splits text into paragraphs, for the templates.
func (issuesData) Paras(s string) []string { return splitParas(s) }

// dialogueIn loads the dialogue in the path for the signed-in person; 404
// for anyone not taking part.
func (u *UI) dialogueIn(c echo.Context, action string) (int64, error) {
	id, _, err := httpapi.DialogueIn(c, u.Authz, u.Dialogues, action)
	return id, err
}

func (u *UI) dialoguePage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	id, err := u.dialogueIn(c, "read")
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Notice = dialogueNotices[c.QueryParam("notice")]
	return u.renderDialogue(c, http.StatusOK, p, id, nil)
}

func (u *UI) renderDialogue(c echo.Context, status int, p page, id int64, edit func(*dialogueData)) error {
	ctx, pr := c.Request().Context(), httpapi.CurrentPrincipal(c)
	fundID, err := u.Dialogues.Fund(ctx, id)
	if err != nil {
		return err
	}
	canRead, err := httpapi.DialogueSourceReader(ctx, u.Authz, u.Accounts, pr, fundID)
	if err != nil {
		return err
	}
	dl, err := u.Dialogues.Get(ctx, id, pr.User.ID, canRead)
	if err != nil {
		return err
	}
	d := dialogueData{D: dl, Me: pr.User.ID, StatusName: dialogue.ParticipationNames,
		CanWrite: dl.MyStatus == dialogue.Convener || dl.MyStatus == dialogue.Accepted,
		Invited:  dl.MyStatus == dialogue.Invited, ActionForm: map[string]string{},
		Steward:  u.Authz.Allowed(pr.Actor(), "list", httpapi.IssueResource(dl.FundID)),
		Statuses: choicesOf([]string{dialogue.Open, dialogue.Done, dialogue.Dropped}, dialogue.StatusNames)}
	if f, err := u.Funds.Get(ctx, dl.FundID); err == nil {
		d.FundName = f.Name
	}
	if dl.Notes != nil {
		d.NotesBody, d.NotesVersion = dl.Notes.Body, dl.Notes.Version
	}
	taking := map[int64]bool{}
	for _, pt := range dl.Participants {
		taking[pt.UserID] = true
		if dialogue.Active(pt.Status) {
			d.Owners = append(d.Owners, personChoice{ID: pt.UserID, Name: pt.DisplayName, Checked: pt.UserID == pr.User.ID})
		}
	}
	if d.CanWrite {
		people, err := u.Dialogues.People(ctx, dl.FundID)
		if err != nil {
			return err
		}
		for _, ps := range people {
			if !taking[ps.UserID] {
				d.Invitable = append(d.Invitable, personChoice{ID: ps.UserID, Name: ps.DisplayName})
			}
		}
	}
	if edit != nil {
		edit(&d)
	}
	d.Rows = d.rows(p, dl.Actions)
	if dl.Earlier != nil {
		d.EarlierRows = d.rows(p, dl.Earlier.OpenActions)
	}
	p.Data = d
	return u.render(c, status, "dialogue_view", p)
}

// dialogueFailed shows the dialogue again with what went wrong: field
// errors (422), a stale version (412), a refusal the rules make (403, 409).
func (u *UI) dialogueFailed(c echo.Context, id int64, err error, anchor, target string, edit func(*dialogueData)) error {
	p := u.newPage(c, "")
	if errs, ok := dialogueErrors(err, anchor, nil); ok {
		for i := range errs {
			if anchor != "" {
				errs[i].ID = anchor + "-" + errs[i].ID
			}
		}
		p.Errors = errs
		return u.renderDialogue(c, http.StatusUnprocessableEntity, p, id, edit)
	}
	if f, ok := fault.As(err); ok && f.Kind != fault.NotFound {
		status := map[fault.Kind]int{fault.PreconditionFailed: http.StatusPreconditionFailed, fault.Conflict: http.StatusConflict,
			fault.Forbidden: http.StatusForbidden}[f.Kind]
		if status == 0 {
			return err
		}
		p.Errors = []fieldErr{{ID: target, Message: sentence(f.Message)}}
		return u.renderDialogue(c, status, p, id, edit)
	}
	return err
}

func (u *UI) respondToDialogue(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	id, err := u.dialogueIn(c, "read")
	if err != nil {
		return err
	}
	in := dialogue.Answer{Status: c.FormValue("status")}
	if err := u.Dialogues.Respond(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, id, in); err != nil {
		return u.dialogueFailed(c, id, err, "", "dialogue-title", nil)
	}
	if in.Status == dialogue.Declined {
		f, err := u.Dialogues.Fund(c.Request().Context(), id)
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/funds/%d/dialogues?notice=declined", f))
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/dialogues/%d?notice=accepted", id))
}

func (u *UI) inviteToDialogue(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	id, err := u.dialogueIn(c, "update")
	if err != nil {
		return err
	}
	in := dialogue.Invitation{Invitees: postedIDs(c, "invitees")}
	if _, err := u.Dialogues.Invite(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, id, in); err != nil {
		if ve, ok := validate.As(err); ok {
			for i := range ve {
				if !strings.HasPrefix(ve[i].Field, "invitees") {
					ve[i].Field = "invitees"
				}
			}
			err = ve
		}
		return u.dialogueFailed(c, id, err, "invite", "invite-invitees", nil)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/dialogues/%d?notice=invited#people-title", id))
}

func (u *UI) saveDialogueNotes(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	id, err := u.dialogueIn(c, "update")
	if err != nil {
		return err
	}
	version, err := strconv.Atoi(c.FormValue("version"))
	if err != nil {
		version = -1
	}
	in := dialogue.NotesEdit{Version: version, Body: c.FormValue("body")}
	if _, err := u.Dialogues.SaveNotes(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, id, in); err != nil {
		if ve, ok := validate.As(err); ok && len(ve) > 0 && ve[0].Field == "version" {
			err = fault.PreconditionFailedf("the page did not say which version of the notes you started from; reload it and add your words again")
		}
		// Keep the words they wrote, so nothing is lost; the version
		// stays the latest, so saving again is a choice made knowingly.
		return u.dialogueFailed(c, id, err, "notes", "notes-body", func(d *dialogueData) { d.NotesBody = in.Body })
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/dialogues/%d?notice=notes#notes-title", id))
}

// dialogueNotesData is the page of a dialogue's notes in every version.
type dialogueNotesData struct {
	ID       int64
	Purpose  string
	Versions []dialogue.Notes
}

func (u *UI) dialogueNotesPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	id, err := u.dialogueIn(c, "read")
	if err != nil {
		return err
	}
	ctx, pr := c.Request().Context(), httpapi.CurrentPrincipal(c)
	ns, err := u.Dialogues.NotesHistory(ctx, id, pr.User.ID)
	if err != nil {
		return err
	}
	dl, err := u.Dialogues.Get(ctx, id, pr.User.ID, nil)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Data = dialogueNotesData{ID: id, Purpose: dl.Purpose, Versions: ns}
	return u.render(c, http.StatusOK, "dialogue_notes", p)
}

func (u *UI) addDialogueAction(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	id, err := u.dialogueIn(c, "update")
	if err != nil {
		return err
	}
	owner, _ := strconv.ParseInt(c.FormValue("owner_id"), 10, 64)
	in := dialogue.NewAction{What: c.FormValue("what"), OwnerID: owner, DueOn: c.FormValue("due_on")}
	if _, err := u.Dialogues.AddAction(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, id, in); err != nil {
		p := func(d *dialogueData) {
			d.ActionForm["what"], d.ActionForm["due_on"] = in.What, in.DueOn
		}
		return u.dialogueFailed(c, id, err, "action", "action-what", p)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/dialogues/%d?notice=action#actions-title", id))
}

func (u *UI) updateDialogueAction(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	actionID, err := httpapi.ActionIn(c, u.Authz, u.Dialogues)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	version, _ := strconv.Atoi(c.FormValue("version"))
	in := dialogue.ActionChange{Version: version, Status: c.FormValue("status"), DroppedReason: c.FormValue("dropped_reason")}
	// Go back to the dialogue the change was made from (a follow-up
	// changes its earlier dialogue's actions), if the person takes part in
	// it and it is in the same fund, where ActionIn has checked their role:
	// the page shown on a refusal is that dialogue, in full.
	back, err := u.Dialogues.ActionDialogue(ctx, actionID)
	if err != nil {
		return err
	}
	if s := c.FormValue("from"); s != "" {
		fundID, err := u.Dialogues.Fund(ctx, back)
		if err != nil {
			return err
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			if st, f, err := u.Dialogues.Participation(ctx, n, httpapi.CurrentPrincipal(c).User.ID); err == nil && dialogue.Active(st) && f == fundID {
				back = n
			}
		}
	}
	if _, err := u.Dialogues.UpdateAction(ctx, httpapi.CurrentPrincipal(c).User.ID, actionID, in); err != nil {
		if errors.Is(err, dialogue.ErrActionNotFound) {
			return err
		}
		keep := func(d *dialogueData) {
			d.ActionErr = actionID
			d.ActionForm["dropped_reason"], d.ActionForm["status"] = in.DroppedReason, in.Status
		}
		if ve, ok := validate.As(err); ok {
			p := u.newPage(c, "")
			for _, fe := range ve {
				p.Errors = append(p.Errors, fieldErr{ID: fmt.Sprintf("%s-%d", fe.Field, actionID),
					Message: sentence(dialogueLabels[fe.Field] + " " + fe.Message)})
			}
			return u.renderDialogue(c, http.StatusUnprocessableEntity, p, back, keep)
		}
		return u.dialogueFailed(c, back, err, "", fmt.Sprintf("action-%d", actionID), keep)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/dialogues/%d?notice=changed#action-%d", back, actionID))
}

func (u *UI) passUpIssue(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	id, err := u.dialogueIn(c, "update")
	if err != nil {
		return err
	}
	in := dialogue.NewIssue{Body: c.FormValue("body")}
	if _, err := u.Dialogues.PassUp(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, id, in); err != nil {
		return u.dialogueFailed(c, id, err, "issue", "issue-body", func(d *dialogueData) { d.ActionForm["issue"] = in.Body })
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/dialogues/%d?notice=issue#issues-title", id))
}

// issuesData is the stewards' page of issues passed up.
type issuesData struct {
	Fund   fund.Fund
	Issues []dialogue.PassedUp
	Open   int
}

func (u *UI) issuesPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	f, err := u.issuesFund(c)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Notice = dialogueNotices[c.QueryParam("notice")]
	return u.renderIssues(c, http.StatusOK, p, f)
}

func (u *UI) issuesFund(c echo.Context) (fund.Fund, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return fund.Fund{}, httpapi.ErrNotFound
	}
	f, err := httpapi.VisibleFund(c.Request().Context(), u.Authz, u.Funds, httpapi.CurrentPrincipal(c), id)
	if err != nil {
		return f, err
	}
	return f, httpapi.Authorize(u.Authz, c, "list", httpapi.IssueResource(id))
}

func (u *UI) renderIssues(c echo.Context, status int, p page, f fund.Fund) error {
	is, err := u.Dialogues.IssuesFor(c.Request().Context(), f.ID)
	if err != nil {
		return err
	}
	d := issuesData{Fund: f, Issues: is}
	for _, i := range is {
		if i.Answer == nil {
			d.Open++
		}
	}
	p.Data = d
	return u.render(c, status, "issues_passed_up", p)
}

func (u *UI) answerIssue(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	id, err := httpapi.IssueIn(c, u.Authz, u.Dialogues)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	fundID, err := u.Dialogues.IssueFund(ctx, id)
	if err != nil {
		return err
	}
	in := dialogue.IssueAnswer{Answer: c.FormValue("answer")}
	if _, err := u.Dialogues.Answer(ctx, httpapi.CurrentPrincipal(c).User.ID, id, in); err != nil {
		f, ferr := u.Funds.Get(ctx, fundID)
		if ferr != nil {
			return ferr
		}
		p := u.newPage(c, "")
		target := fmt.Sprintf("answer-%d", id)
		p.Form[target] = in.Answer
		if ve, ok := validate.As(err); ok {
			for _, fe := range ve {
				p.Errors = append(p.Errors, fieldErr{ID: target, Message: sentence("Your answer " + fe.Message)})
			}
			return u.renderIssues(c, http.StatusUnprocessableEntity, p, f)
		}
		if fe, ok := fault.As(err); ok && fe.Kind == fault.Conflict {
			p.Errors = []fieldErr{{ID: fmt.Sprintf("issue-%d", id), Message: sentence(fe.Message)}}
			return u.renderIssues(c, http.StatusConflict, p, f)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/funds/%d/issues?notice=answered#issue-%d", fundID, id))
}

// myActionsData is a person's own actions.
type myActionsData struct {
	Open, Closed []dialogue.OwnedAction
	StatusName   map[string]string
	FundID       int64
}

func (u *UI) myActionsPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	as, err := httpapi.MyActions(c, u.Authz, u.Dialogues)
	if err != nil {
		return err
	}
	d := myActionsData{StatusName: dialogue.StatusNames}
	d.FundID, _ = strconv.ParseInt(c.QueryParam("fund_id"), 10, 64)
	for _, a := range as {
		if a.Status == dialogue.Open {
			d.Open = append(d.Open, a)
		} else {
			d.Closed = append(d.Closed, a)
		}
	}
	p := u.newPage(c, "actions")
	p.Data = d
	return u.render(c, http.StatusOK, "my_actions", p)
}
