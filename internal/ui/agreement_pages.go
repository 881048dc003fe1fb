package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/agreement"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/money"
	"github.com/humblehq/humble/internal/validate"
)

// registerAgreementPages adds the pages of a grant's learning agreement:
// the agreement (the draft being written with its signatures and the
// signed version that governs), the editor, every version, one version,
// and what changed in a version. They call the same service and ask the
// same questions of the authorizer as the API's agreement routes.
func (u *UI) registerAgreementPages(e *echo.Echo) {
	e.GET("/grants/:id/agreement", u.agreementPage)
	e.POST("/grants/:id/agreement", u.startAgreement)
	e.GET("/grants/:id/agreement/edit", u.agreementEditForm)
	e.POST("/grants/:id/agreement/edit", u.saveAgreement)
	e.POST("/grants/:id/agreement/sign", u.signAgreement)
	e.POST("/grants/:id/agreement/renegotiate", u.renegotiateAgreement)
	e.GET("/grants/:id/agreement/versions", u.agreementVersionsPage)
	e.GET("/grants/:id/agreement/versions/:number", u.agreementVersionPage)
	e.GET("/grants/:id/agreement/versions/:number/changes", u.agreementChangesPage)
}

// agreementGrant signs the visitor in if need be, then loads the grant in
// the path and checks action on its agreement.
func (u *UI) agreementGrant(c echo.Context, action string) (agreement.Grant, bool, error) {
	if ok, err := requireSignIn(c); !ok {
		return agreement.Grant{}, false, err
	}
	g, err := httpapi.AgreementGrant(c, u.Authz, u.Agreements, action)
	return g, err == nil, err
}

func agreementPath(g agreement.Grant, rest string) string {
	return "/grants/" + strconv.FormatInt(g.ID, 10) + "/agreement" + rest
}

// sigView is a signature as people read it.
type sigView struct {
	Side, SideName, Name, When, Hash string
}

var sideNames = map[string]string{agreement.Funder: "the funder", agreement.Grantee: "the grantee"}

// contentView is an agreement's content as people read it.
type contentView struct {
	SharedPurpose, WhyWeFundedYou   []string
	LearningQuestions, Explorations []string
	Mode, Every                     string
	ReflectionNote                  []string
	Signals                         []agreement.Signal
	Money, Flexibility, Support     []string
	ResponseDays                    string
	Partner                         string
	Consent                         []string
	RenegotiateOn                   string
}

func contentOf(c agreement.Content) contentView {
	v := contentView{SharedPurpose: applicationParagraphs(c.SharedPurpose), WhyWeFundedYou: applicationParagraphs(c.WhyWeFundedYou),
		LearningQuestions: c.LearningQuestions, Explorations: c.Explorations, Mode: agreement.ModeNames[c.Reflection.Mode],
		ReflectionNote: applicationParagraphs(c.Reflection.Note), Signals: c.LearningSignals,
		Money: applicationParagraphs(c.FunderCommitments.Money), Flexibility: applicationParagraphs(c.FunderCommitments.Flexibility),
		Support: applicationParagraphs(c.FunderCommitments.SupportBeyondMoney), Partner: c.LearningPartner.Name,
		Consent: applicationParagraphs(c.ConsentTerms)}
	switch n := c.Reflection.EveryMonths; {
	case n == 1:
		v.Every = "Every month"
	case n > 1:
		v.Every = fmt.Sprintf("Every %d months", n)
	}
	if n := c.FunderCommitments.ResponseDays; n > 0 {
		v.ResponseDays = fmt.Sprintf("Within %d days of each account", n)
	}
	if c.RenegotiateOn != "" {
		v.RenegotiateOn = longDate(c.RenegotiateOn)
	}
	return v
}

// spacedHash writes a hash in groups of eight, so it wraps on a phone.
func spacedHash(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i += 8 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[i:min(i+8, len(h))])
	}
	return b.String()
}

// versionView is one version as people read it.
type versionView struct {
	Number, Revision int
	Signed           bool
	BasedOn          int
	Content          contentView
	Hash             string
	SignedAt         string
	Updated          string
	Funder, Grantee  *sigView
}

func versionOf(v agreement.Version) *versionView {
	vv := &versionView{Number: v.Number, Revision: v.Revision, Signed: v.Status == agreement.Signed, Content: contentOf(v.Content),
		Hash: v.ContentHash, Updated: v.UpdatedAt.Format("2 January 2006 at 15:04 UTC")}
	if v.BasedOn != nil {
		vv.BasedOn = *v.BasedOn
	}
	if v.SignedAt != nil {
		vv.SignedAt = v.SignedAt.Format("2 January 2006 at 15:04 UTC")
	}
	for _, s := range v.Signatures {
		sv := &sigView{Side: s.Side, SideName: sideNames[s.Side], Name: s.Name, When: s.SignedAt.Format("2 January 2006 at 15:04 UTC"), Hash: spacedHash(s.ContentHash)}
		if s.Side == agreement.Funder {
			vv.Funder = sv
		} else {
			vv.Grantee = sv
		}
	}
	return vv
}

// agreementView is what the agreement and version pages show.
type agreementView struct {
	Grant     agreement.Grant
	Amount    string
	Exists    bool
	Versions  int
	Draft     *versionView
	Signed    *versionView
	Version   *versionView // the version page's one version
	Statement string
	CanEdit   bool
	CanCreate bool
	CanSign   bool
	// Side is the reader's side when they may sign; YourSignature is
	// theirs on the draft, OtherSigned the other side's.
	Side, SideName string
	YourSignature  *sigView
	OtherSigned    bool
	Missing        []string
}

func (u *UI) agreementView(c echo.Context, g agreement.Grant) (agreementView, error) {
	ctx := c.Request().Context()
	actor := httpapi.CurrentPrincipal(c).Actor()
	res := httpapi.AgreementResource(g.FundID, g.OrganisationID)
	v := agreementView{Grant: g, Amount: money.Format(g.AmountMinor, g.Currency), Statement: agreement.SignalsStatement,
		CanEdit: u.Authz.Allowed(actor, "update", res), CanCreate: u.Authz.Allowed(actor, "create", res)}
	a, err := u.Agreements.Get(ctx, g.ID)
	if errors.Is(err, agreement.ErrNoAgreement) {
		return v, nil
	} else if err != nil {
		return v, err
	}
	v.Exists, v.Versions = true, a.Versions
	if a.Signed != nil {
		v.Signed = versionOf(*a.Signed)
	}
	if a.Draft != nil {
		v.Draft = versionOf(*a.Draft)
		v.Missing = a.Draft.Content.Missing()
		if u.Authz.Allowed(actor, "sign", res) {
			side, err := u.Agreements.SideOf(ctx, actor.UserID, g)
			if err != nil {
				return v, err
			}
			v.CanSign, v.Side, v.SideName = true, side, sideNames[side]
			for _, s := range a.Draft.Signatures {
				sv := &sigView{Side: s.Side, Name: s.Name, When: s.SignedAt.Format("2 January 2006 at 15:04 UTC")}
				if s.Side == side {
					v.YourSignature = sv
				} else {
					v.OtherSigned = true
				}
			}
		}
	}
	return v, nil
}

func (u *UI) agreementPage(c echo.Context) error {
	g, ok, err := u.agreementGrant(c, "read")
	if !ok {
		return err
	}
	v, err := u.agreementView(c, g)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	switch c.QueryParam("notice") {
	case "saved":
		p.Notice = "Your changes to the draft are saved."
	case "cleared":
		p.Notice = "Your changes to the draft are saved. Someone had already signed the earlier text; because the text has changed, that signature no longer counts, and they will need to read it again and sign."
	case "signed":
		p.Notice = "You have signed the draft. Once the other side signs the same text, this version is fixed."
	case "both":
		p.Notice = "Both sides have signed. This version of the agreement is now fixed and governs the grant."
	case "renegotiating":
		p.Notice = "A new draft has started from the signed version. The signed version still governs until both sides sign the new one."
	}
	p.Data = v
	return u.render(c, http.StatusOK, "agreement_view", p)
}

func (u *UI) startAgreement(c echo.Context) error {
	g, ok, err := u.agreementGrant(c, "create")
	if !ok {
		return err
	}
	if _, err := u.Agreements.Create(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, g.ID); err != nil && !errors.Is(err, agreement.ErrExists) {
		return err
	}
	return c.Redirect(http.StatusSeeOther, agreementPath(g, "/edit"))
}

// --- The editor ---------------------------------------------------------------

// agreementEditView is what the editor shows.
type agreementEditView struct {
	Grant     agreement.Grant
	Number    int
	Revision  int
	New       bool // saving starts the agreement
	Statement string
	Modes     []modeOption
	Signals   []signalForm
	// Yours is what the person sent when someone else had saved first.
	Yours *contentView
	// SignedBy names who had signed the text being edited.
	SignedBy []string
	// Fields are the editor's text boxes, by input id (filled by
	// renderAgreementEdit).
	Fields map[string]formField
}

// formField is one box of the editor, ready to draw.
type formField struct {
	ID, Label, Hint, Value string
	// Hidden is said to screen readers after the label (which signal a
	// box belongs to).
	Hidden string
	Error  *fieldErr
}

// editorBoxes are the editor's larger text boxes: id, label, hint.
var editorBoxes = [][3]string{
	{"shared_purpose", "Shared purpose", "What are we working towards together, in plain words?"},
	{"why_we_funded_you", "Why we funded you", "What the panel and the fund saw in this work."},
	{"learning_questions", "Learning questions", "What do we hope to learn? One question per line."},
	{"explorations", "Explorations planned", "What will you try first? One per line. Plans will change as you learn, and that is expected."},
	{"reflection-note", "Anything else about reflecting (optional)", "Such as where you will meet, or who else joins the conversation."},
	{"funder_commitments-money", "Money", "How much, when, and that no payment depends on any measure."},
	{"funder_commitments-flexibility", "Flexibility", "What you can change without asking first."},
	{"funder_commitments-support_beyond_money", "Support beyond money", "Introductions, time, advice, a voice with others."},
	{"consent_terms", "Consent terms for stories", "How you will ask people before telling their stories, how they are named, and how they can change their mind."},
}

var signalInputs = [][2]string{
	{"name", "Name"}, {"tells_us", "What it tells us"}, {"does_not_tell_us", "What it does not tell us"},
	{"collected_by", "Who collects it (optional)"}, {"how_often", "How often (optional)"},
}

// renderAgreementEdit draws the editor with its boxes filled from p.Form
// and v.Signals, and the errors beside them.
func (u *UI) renderAgreementEdit(c echo.Context, status int, p page, v agreementEditView) error {
	v.Fields = map[string]formField{}
	for _, b := range editorBoxes {
		v.Fields[b[0]] = formField{ID: b[0], Label: b[1], Hint: b[2], Value: p.Form[b[0]], Error: p.FieldError(b[0])}
	}
	for i := range v.Signals {
		s := &v.Signals[i]
		s.Index, s.Number = i, i+1
		values := []string{s.Name, s.TellsUs, s.DoesNotTellUs, s.CollectedBy, s.HowOften}
		s.Inputs = nil
		for j, in := range signalInputs {
			id := fmt.Sprintf("learning_signals-%d-%s", i, in[0])
			s.Inputs = append(s.Inputs, formField{ID: id, Label: in[1], Hidden: fmt.Sprintf("of learning signal %d", i+1),
				Value: values[j], Error: p.FieldError(id)})
		}
	}
	p.Data = v
	return u.render(c, status, "agreement_edit", p)
}

type modeOption struct{ Value, Label string }

type signalForm struct {
	Index, Number                                       int
	Inputs                                              []formField
	Name, TellsUs, DoesNotTellUs, CollectedBy, HowOften string
}

func modeOptions() []modeOption {
	out := make([]modeOption, len(agreement.Modes))
	for i, m := range agreement.Modes {
		out[i] = modeOption{Value: m, Label: agreement.ModeNames[m]}
	}
	return out
}

func optionalInt(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// formOfContent fills the editor's fields from content.
func formOfContent(c agreement.Content) (map[string]string, []signalForm) {
	f := map[string]string{
		"shared_purpose": c.SharedPurpose, "why_we_funded_you": c.WhyWeFundedYou,
		"learning_questions": strings.Join(c.LearningQuestions, "\n"), "explorations": strings.Join(c.Explorations, "\n"),
		"reflection-mode": c.Reflection.Mode, "reflection-every_months": optionalInt(c.Reflection.EveryMonths),
		"reflection-note":          c.Reflection.Note,
		"funder_commitments-money": c.FunderCommitments.Money, "funder_commitments-flexibility": c.FunderCommitments.Flexibility,
		"funder_commitments-support_beyond_money": c.FunderCommitments.SupportBeyondMoney,
		"funder_commitments-response_days":        optionalInt(c.FunderCommitments.ResponseDays),
		"learning_partner-name":                   c.LearningPartner.Name,
		"consent_terms":                           c.ConsentTerms, "renegotiate_on": c.RenegotiateOn,
	}
	if c.LearningPartner.UserID != nil {
		f["learning_partner-user_id"] = strconv.FormatInt(*c.LearningPartner.UserID, 10)
	}
	signals := make([]signalForm, len(c.LearningSignals))
	for i, s := range c.LearningSignals {
		signals[i] = signalForm{Index: i, Name: s.Name, TellsUs: s.TellsUs, DoesNotTellUs: s.DoesNotTellUs, CollectedBy: s.CollectedBy, HowOften: s.HowOften}
	}
	return f, signals
}

// lines splits a one-item-per-line field, leaving out empty lines.
func lines(s string) []string {
	out := []string{}
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// agreementForm is the editor's form as posted.
type agreementForm struct {
	values   map[string]string
	signals  []signalForm
	content  agreement.Content
	revision int
	errs     []fieldErr
}

const maxSignals = 20

func readAgreementForm(c echo.Context) agreementForm {
	af := agreementForm{values: map[string]string{}}
	for _, k := range []string{"shared_purpose", "why_we_funded_you", "learning_questions", "explorations", "reflection-mode",
		"reflection-every_months", "reflection-note", "funder_commitments-money", "funder_commitments-flexibility",
		"funder_commitments-support_beyond_money", "funder_commitments-response_days", "learning_partner-name",
		"learning_partner-user_id", "consent_terms", "renegotiate_on", "revision"} {
		af.values[k] = c.FormValue(k)
	}
	cn := agreement.Content{SharedPurpose: af.values["shared_purpose"], WhyWeFundedYou: af.values["why_we_funded_you"],
		LearningQuestions: lines(af.values["learning_questions"]), Explorations: lines(af.values["explorations"]),
		Reflection:        agreement.Reflection{Mode: af.values["reflection-mode"], Note: af.values["reflection-note"]},
		FunderCommitments: agreement.Commitments{Money: af.values["funder_commitments-money"], Flexibility: af.values["funder_commitments-flexibility"], SupportBeyondMoney: af.values["funder_commitments-support_beyond_money"]},
		LearningPartner:   agreement.Partner{Name: af.values["learning_partner-name"]},
		ConsentTerms:      af.values["consent_terms"], RenegotiateOn: af.values["renegotiate_on"], LearningSignals: []agreement.Signal{}}
	whole := func(key, label string, lo, hi int, dst *int) {
		s := strings.TrimSpace(af.values[key])
		if s == "" {
			return
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			af.errs = append(af.errs, fieldErr{ID: key, Message: fmt.Sprintf("%s must be a whole number from %d to %d", label, lo, hi)})
			return
		}
		*dst = n
	}
	whole("reflection-every_months", "How often the grantee reflects", 1, 24, &cn.Reflection.EveryMonths)
	whole("funder_commitments-response_days", "How many days the funder takes to respond", 1, 365, &cn.FunderCommitments.ResponseDays)
	if s := strings.TrimSpace(af.values["learning_partner-user_id"]); s != "" {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 {
			cn.LearningPartner.UserID = &id
		}
	}
	n, _ := strconv.Atoi(c.FormValue("signals"))
	n = max(0, min(n, maxSignals))
	for i := range n {
		p := fmt.Sprintf("learning_signals-%d-", i)
		s := agreement.Signal{Name: c.FormValue(p + "name"), TellsUs: c.FormValue(p + "tells_us"), DoesNotTellUs: c.FormValue(p + "does_not_tell_us"),
			CollectedBy: c.FormValue(p + "collected_by"), HowOften: c.FormValue(p + "how_often")}
		if strings.TrimSpace(s.Name+s.TellsUs+s.DoesNotTellUs+s.CollectedBy+s.HowOften) == "" {
			continue // an empty signal is left out
		}
		af.signals = append(af.signals, signalForm{Index: len(af.signals), Name: s.Name, TellsUs: s.TellsUs, DoesNotTellUs: s.DoesNotTellUs,
			CollectedBy: s.CollectedBy, HowOften: s.HowOften})
		cn.LearningSignals = append(cn.LearningSignals, s)
	}
	af.content = cn
	rev, err := strconv.Atoi(af.values["revision"])
	if err != nil || rev < 0 {
		rev = -1
	}
	af.revision = rev
	return af
}

// agreementLabels name the editor's fields in error messages, by input id.
var agreementLabels = map[string]string{
	"shared_purpose": "Shared purpose", "why_we_funded_you": "Why we funded you", "learning_questions": "Learning questions",
	"explorations": "Explorations", "reflection-mode": "How the grantee reflects", "reflection-every_months": "How often",
	"reflection-note": "About reflecting", "funder_commitments-money": "Money", "funder_commitments-flexibility": "Flexibility",
	"funder_commitments-support_beyond_money": "Support beyond money", "funder_commitments-response_days": "Days to respond",
	"learning_partner-name": "Learning partner", "learning_partner-user_id": "Learning partner",
	"consent_terms": "Consent terms", "renegotiate_on": "Renegotiation date", "revision": "The draft",
}

// inputID turns a field's JSON path into the editor's input id:
// content.learning_signals[0].name → learning_signals-0-name; a list item
// → the list's one box.
func inputID(field string) string {
	field = strings.TrimPrefix(field, "content.")
	for _, list := range []string{"learning_questions", "explorations"} {
		if strings.HasPrefix(field, list) {
			return list
		}
	}
	r := strings.NewReplacer("[", "-", "].", "-", "]", "", ".", "-")
	return r.Replace(field)
}

func signalLabel(id string) string {
	var i int
	var f string
	if _, err := fmt.Sscanf(strings.ReplaceAll(id, "-", " "), "learning_signals %d %s", &i, &f); err != nil {
		return id
	}
	names := map[string]string{"name": "name", "tells_us": "what it tells us", "does_not_tell_us": "what it does not tell us",
		"collected_by": "who collects it", "how_often": "how often"}
	return fmt.Sprintf("Learning signal %d: %s", i+1, names[f])
}

func agreementErrors(err error) ([]fieldErr, bool) {
	ve, ok := validate.As(err)
	if !ok {
		return nil, false
	}
	out := make([]fieldErr, 0, len(ve))
	for _, f := range ve {
		id := inputID(f.Field)
		label := agreementLabels[id]
		if label == "" {
			label = signalLabel(id)
		}
		out = append(out, fieldErr{ID: id, Message: label + " " + f.Message})
	}
	return out, true
}

func (u *UI) agreementEditForm(c echo.Context) error {
	g, ok, err := u.agreementGrant(c, "update")
	if !ok {
		return err
	}
	ctx := c.Request().Context()
	v := agreementEditView{Grant: g, Statement: agreement.SignalsStatement, Modes: modeOptions()}
	p := u.newPage(c, "")
	a, err := u.Agreements.Get(ctx, g.ID)
	var content agreement.Content
	switch {
	case errors.Is(err, agreement.ErrNoAgreement):
		v.New, v.Number = true, 1
		if content, err = u.Agreements.Template(ctx, g); err != nil {
			return err
		}
	case err != nil:
		return err
	case a.Draft == nil:
		return agreement.ErrNoDraft
	default:
		content, v.Number, v.Revision = a.Draft.Content, a.Draft.Number, a.Draft.Revision
		for _, s := range a.Draft.Signatures {
			v.SignedBy = append(v.SignedBy, fmt.Sprintf("%s (for %s)", s.Name, sideNames[s.Side]))
		}
	}
	p.Form, v.Signals = formOfContent(content)
	if c.QueryParam("add") != "" || len(v.Signals) == 0 {
		v.Signals = append(v.Signals, signalForm{Index: len(v.Signals)})
	}
	return u.renderAgreementEdit(c, http.StatusOK, p, v)
}

func (u *UI) saveAgreement(c echo.Context) error {
	g, ok, err := u.agreementGrant(c, "update")
	if !ok {
		return err
	}
	ctx := c.Request().Context()
	af := readAgreementForm(c)
	p := u.newPage(c, "")
	p.Form = af.values
	v := agreementEditView{Grant: g, Statement: agreement.SignalsStatement, Modes: modeOptions(), Signals: af.signals,
		Revision: max(af.revision, 0), New: af.revision == 0}
	if a, err := u.Agreements.Get(ctx, g.ID); err == nil && a.Draft != nil {
		v.Number = a.Draft.Number
		for _, s := range a.Draft.Signatures {
			v.SignedBy = append(v.SignedBy, fmt.Sprintf("%s (for %s)", s.Name, sideNames[s.Side]))
		}
	} else {
		v.Number = 1
	}
	if c.FormValue("action") == "add_signal" {
		// Nothing is saved: the form comes back with one more signal.
		if len(v.Signals) < maxSignals {
			v.Signals = append(v.Signals, signalForm{Index: len(v.Signals)})
		}
		p.Notice = "A new learning signal is ready to fill in below. Nothing is saved until you press “Save the draft”."
		return u.renderAgreementEdit(c, http.StatusOK, p, v)
	}
	if len(v.Signals) == 0 {
		v.Signals = []signalForm{{Index: 0}}
	}
	if len(af.errs) > 0 {
		p.Errors = af.errs
		return u.renderAgreementEdit(c, http.StatusUnprocessableEntity, p, v)
	}
	ed, err := u.Agreements.EditDraft(ctx, httpapi.CurrentPrincipal(c).User.ID, g.ID, agreement.Edit{Revision: af.revision, Content: af.content})
	if se, ok := agreement.IsStale(err); ok {
		// Someone else saved first: show the draft as it is now, and
		// what this person wrote beside it, rather than overwrite.
		yours := contentOf(af.content)
		v.Yours = &yours
		if se.Current != nil {
			p.Form, v.Signals = formOfContent(se.Current.Content)
			p.Form["revision"] = strconv.Itoa(se.Current.Revision)
			v.Revision, v.Number, v.New = se.Current.Revision, se.Current.Number, false
		}
		if len(v.Signals) == 0 {
			v.Signals = []signalForm{{Index: 0}}
		}
		p.Errors = []fieldErr{{ID: "yours", Message: "Someone else saved the draft while you were editing it, so your changes were not saved. The form now shows the draft as it is; what you wrote is below it, so you can bring your changes across."}}
		return u.renderAgreementEdit(c, http.StatusPreconditionFailed, p, v)
	}
	if errs, ok := agreementErrors(err); ok {
		p.Errors = errs
		return u.renderAgreementEdit(c, http.StatusUnprocessableEntity, p, v)
	}
	if f, ok := fault.As(err); ok && f.Kind == fault.Conflict {
		p.Errors = []fieldErr{{ID: "agreement-form", Message: f.Message}}
		return u.renderAgreementEdit(c, http.StatusConflict, p, v)
	}
	if err != nil {
		return err
	}
	notice := "saved"
	if len(ed.Cleared) > 0 {
		notice = "cleared"
	}
	return c.Redirect(http.StatusSeeOther, agreementPath(g, "?notice="+notice))
}

// --- Signing and renegotiating -------------------------------------------------

func (u *UI) signAgreement(c echo.Context) error {
	g, ok, err := u.agreementGrant(c, "sign")
	if !ok {
		return err
	}
	ctx := c.Request().Context()
	uid := httpapi.CurrentPrincipal(c).User.ID
	rev, _ := strconv.Atoi(c.FormValue("revision"))
	side, err := u.Agreements.SideOf(ctx, uid, g)
	if err != nil {
		return err
	}
	vr, err := u.Agreements.Sign(ctx, uid, g.ID, side, agreement.Signing{Revision: rev})
	if err != nil {
		f, ok := fault.As(err)
		if !ok || (f.Kind != fault.Conflict && f.Kind != fault.PreconditionFailed) {
			return err
		}
		v, verr := u.agreementView(c, g)
		if verr != nil {
			return verr
		}
		p := u.newPage(c, "")
		p.Errors = []fieldErr{{ID: "sign-title", Message: sentence(f.Message)}}
		p.Data = v
		status := http.StatusConflict
		if f.Kind == fault.PreconditionFailed {
			status = http.StatusPreconditionFailed
		}
		return u.render(c, status, "agreement_view", p)
	}
	notice := "signed"
	if vr.Status == agreement.Signed {
		notice = "both"
	}
	return c.Redirect(http.StatusSeeOther, agreementPath(g, "?notice="+notice))
}

func (u *UI) renegotiateAgreement(c echo.Context) error {
	g, ok, err := u.agreementGrant(c, "update")
	if !ok {
		return err
	}
	if _, err := u.Agreements.Renegotiate(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, g.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, agreementPath(g, "?notice=renegotiating"))
}

// --- History and changes ---------------------------------------------------------

type historyRow struct {
	Number   int
	Status   string
	Signed   string
	Signers  string
	Updated  string
	Governs  bool
	Revision int
	// BasedOnOrPrev is the version this one is compared with.
	BasedOnOrPrev int
}

func (u *UI) agreementVersionsPage(c echo.Context) error {
	g, ok, err := u.agreementGrant(c, "read")
	if !ok {
		return err
	}
	vs, err := u.Agreements.Versions(c.Request().Context(), g.ID)
	if err != nil {
		return err
	}
	latestSigned := 0
	for _, v := range vs {
		if v.Status == agreement.Signed {
			latestSigned = v.Number
		}
	}
	rows := make([]historyRow, 0, len(vs))
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		r := historyRow{Number: v.Number, Status: "Draft, being written", Updated: v.UpdatedAt.Format("2 January 2006"),
			Governs: v.Number == latestSigned, Revision: v.Revision}
		r.BasedOnOrPrev = v.Number - 1
		if v.Status == agreement.Signed {
			r.Status = "Signed by both sides"
			if v.SignedAt != nil {
				r.Signed = v.SignedAt.Format("2 January 2006")
			}
		}
		var names []string
		for _, s := range v.Signatures {
			names = append(names, fmt.Sprintf("%s for %s", s.Name, sideNames[s.Side]))
		}
		r.Signers = strings.Join(names, "; ")
		rows = append(rows, r)
	}
	p := u.newPage(c, "")
	p.Data = struct {
		Grant agreement.Grant
		Rows  []historyRow
	}{g, rows}
	return u.render(c, http.StatusOK, "agreement_versions", p)
}

func (u *UI) agreementVersionPage(c echo.Context) error {
	g, ok, err := u.agreementGrant(c, "read")
	if !ok {
		return err
	}
	n, err := strconv.Atoi(c.Param("number"))
	if err != nil || n <= 0 {
		return agreement.ErrNoVersion
	}
	vr, err := u.Agreements.Version(c.Request().Context(), g.ID, n)
	if err != nil {
		return err
	}
	v := agreementView{Grant: g, Amount: money.Format(g.AmountMinor, g.Currency), Exists: true, Statement: agreement.SignalsStatement,
		Version: versionOf(vr)}
	p := u.newPage(c, "")
	p.Data = v
	return u.render(c, http.StatusOK, "agreement_view", p)
}

func (u *UI) agreementChangesPage(c echo.Context) error {
	g, ok, err := u.agreementGrant(c, "read")
	if !ok {
		return err
	}
	n, err := strconv.Atoi(c.Param("number"))
	if err != nil || n <= 0 {
		return agreement.ErrNoVersion
	}
	ch, err := u.Agreements.Changes(c.Request().Context(), g.ID, n)
	if err != nil {
		return err
	}
	all := c.QueryParam("all") != ""
	var rows []agreement.Row
	for _, r := range ch.Rows {
		if all || r.Change != agreement.Same {
			rows = append(rows, r)
		}
	}
	p := u.newPage(c, "")
	p.Data = struct {
		Grant   agreement.Grant
		Changes agreement.Changes
		Rows    []agreement.Row
		All     bool
		Words   map[string]string
	}{g, ch, rows, all, map[string]string{agreement.Same: "The same", agreement.Changed: "Changed",
		agreement.Added: "Added", agreement.Removed: "Removed"}}
	return u.render(c, http.StatusOK, "agreement_changes", p)
}
