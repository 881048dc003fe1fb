// Package account holds reflective accounts: a grantee's account of what
// they tried and learnt in a period of their grant, the stories about
// people in it and their consent, the addenda that correct it, the
// stewards' response to it, and the funder's own reflections on its
// practice, written in the same sections.
//
// Each section has a visibility: the funder and learning partner (the
// default), peers in the fund, or the public. What a reader sees is worked
// out here from a Reader the HTTP edge builds from the authorizer: how far
// they are cleared (Clearance), whether they own the account, and for what
// purpose they read. A reader who may see no section of an account is told
// it does not exist. A story is shown only while its consent holds —
// neither withdrawn nor expired, and given for the purpose of the reading —
// and that is checked in the query that reads it, every time; its author
// always sees it.
//
// A submitted account never changes (the database refuses it), and nothing
// here lets anyone but the grantee edit a draft: the HTTP edge asks the
// authorizer, and stewards are not granted it.
package account

import (
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/fault"
)

// Statuses of an account.
const (
	Draft     = "draft"
	Awaiting  = "awaiting_confirmation" // conversation notes waiting for the grantee
	Submitted = "submitted"
	Published = "published" // a funder's reflection, once shared
)

// Kinds of account.
const (
	Grantee = "grantee"
	Funder  = "funder"
)

// Modes of a grantee's account.
const (
	Written      = "written"
	Conversation = "conversation"
)

// Visibilities of a section, from the most open.
const (
	Public           = "public"
	Peers            = "peers"
	FunderAndPartner = "funder_and_partner"
)

// Clearances: how far a reader may see.
const (
	SeesPublic  = 0 // anyone
	SeesPeers   = 1 // the fund's grantees and panel
	SeesPartner = 2 // the fund's stewards and learning partners, and the account's own organisation
)

// restriction ranks a visibility against a clearance.
func restriction(visibility string) int {
	switch visibility {
	case Public:
		return SeesPublic
	case Peers:
		return SeesPeers
	}
	return SeesPartner
}

// Purposes a story's consent may be given for.
const (
	ForLearning = "learning_within_fund"
	ForPublic   = "public_pages"
	ForReports  = "reports"
)

// PurposeNames say the purposes in words.
var PurposeNames = map[string]string{
	ForLearning: "Learning within this fund (the funder, learning partner, other grantees and the panel)",
	ForPublic:   "Public pages anyone can read",
	ForReports:  "Reports and exports of the fund's learning",
}

// Purposes lists the purposes in order.
var Purposes = []string{ForLearning, ForPublic, ForReports}

// Namings: how the person in a story is named.
var Namings = []string{"anonymous", "first_name", "full_name"}

// NamingNames say the namings in words.
var NamingNames = map[string]string{
	"anonymous":  "Not named",
	"first_name": "By their first name",
	"full_name":  "By their full name",
}

// VisibilityNames say the visibilities in words.
var VisibilityNames = map[string]string{
	FunderAndPartner: "The funder and learning partner",
	Peers:            "Also other grantees and the panel of this fund",
	Public:           "Anyone (public)",
}

// Visibilities lists the visibilities, the default first.
var Visibilities = []string{FunderAndPartner, Peers, Public}

// StatusNames say the statuses in words.
var StatusNames = map[string]string{
	Draft:     "Draft",
	Awaiting:  "Notes waiting for the grantee to confirm",
	Submitted: "Submitted",
	Published: "Shared",
}

// Prompt is a section: its heading, the question it asks, and the
// heading the writing form puts to the one who writes it.
type Prompt struct {
	Key string
	// Title is the heading everyone reads the section under: in the
	// writer's own voice ("What we tried"), never "you", since the fund,
	// peers and the public read it too.
	Title string
	// YourTitle is the heading on the writing form, addressed to the one
	// writing ("What you tried").
	YourTitle string
	// Ask is the question on the writing form.
	Ask string
}

// StoriesSection is the section stories belong to.
const StoriesSection = "what_happened"

// SignalsSection is the section of readings of learning signals.
const SignalsSection = "signal_readings"

// GranteePrompts are the sections of a grantee's account, in order.
var GranteePrompts = []Prompt{
	{Key: "context_changed", Title: "What changed around us", YourTitle: "What changed around you",
		Ask: "Since you last wrote, what shifted for the people you work with, in your area, or in your own team? Small things count."},
	{Key: "what_we_tried", Title: "What we tried", YourTitle: "What you tried",
		Ask: "What did you start, stop or do differently? Tell it the way you would to a curious friend."},
	{Key: "what_happened", Title: "What happened", YourTitle: "What happened",
		Ask: "What came of it, and for whom? Stories are welcome. If a story is about a person, add it below with their consent."},
	{Key: "not_as_hoped", Title: "What did not go as hoped", YourTitle: "What did not go as hoped",
		Ask: "What did not work, or went differently from what you hoped? This is often the most useful part for everyone, and nobody is marked down for it."},
	{Key: "what_we_learnt", Title: "What we learnt", YourTitle: "What you learnt",
		Ask: "What do you understand now that you did not before?"},
	{Key: "what_we_will_change", Title: "What we will change", YourTitle: "What you will change",
		Ask: "Knowing what you know now, what will you do next, or do differently?"},
	{Key: "what_we_need", Title: "What we need from the funder and the wider system", YourTitle: "What you need",
		Ask: "What would help from us, the funder, or from the wider system? Say it as plainly as you like."},
	{Key: "signal_readings", Title: "Our learning signals, and what we make of them", YourTitle: "Your learning signals",
		Ask: "If you agreed learning signals, what are they showing, and what do you make of that? What do they not tell you? They are never tied to payment or renewal."},
}

// FunderPrompts are the same sections as the funder asks them of itself.
var FunderPrompts = func() []Prompt {
	ps := []Prompt{
		{Key: "context_changed", Title: "What changed around us",
			Ask: "What shifted for the fund, for the places and people it serves, or inside our own organisation?"},
		{Key: "what_we_tried", Title: "What we tried",
			Ask: "What did we try in how we fund, support and listen?"},
		{Key: "what_happened", Title: "What happened",
			Ask: "What came of it, for grantees and for us? Stories are welcome, with consent."},
		{Key: "not_as_hoped", Title: "What did not go as hoped",
			Ask: "Where did our practice fall short, or get in the way of grantees' learning?"},
		{Key: "what_we_learnt", Title: "What we learnt",
			Ask: "What do we understand now about our own practice that we did not before?"},
		{Key: "what_we_will_change", Title: "What we will change",
			Ask: "What will we do differently as a funder?"},
		{Key: "what_we_need", Title: "What we need",
			Ask: "What do we need from grantees, the panel, our own board or the wider system?"},
		{Key: "signal_readings", Title: "Our learning signals",
			Ask: "Which signals about our own practice are we reading (how fast we answered, what grantees told us), and what do we make of them?"},
	}
	for i := range ps {
		ps[i].YourTitle = ps[i].Title // the stewards write in the fund's voice
	}
	return ps
}()

// SectionKeys lists the section keys in order.
var SectionKeys = func() []string {
	out := make([]string, len(GranteePrompts))
	for i, p := range GranteePrompts {
		out[i] = p.Key
	}
	return out
}()

// SectionTitle is the heading of a section of a kind of account (the
// key itself if there is no such section).
func SectionTitle(kind, key string) string {
	for _, p := range PromptsFor(kind) {
		if p.Key == key {
			return p.Title
		}
	}
	return key
}

// PromptsFor returns the prompts of a kind of account.
func PromptsFor(kind string) []Prompt {
	if kind == Funder {
		return FunderPrompts
	}
	return GranteePrompts
}

// Errors of this domain.
var (
	ErrNotFound      = fault.NotFoundf("account not found")
	ErrStoryNotFound = fault.NotFoundf("story not found")
	ErrNoResponse    = fault.NotFoundf("the fund has not responded to this account yet")
	ErrGrantNotFound = fault.NotFoundf("grant not found")
	ErrFrozen        = fault.Conflictf("a submitted account never changes; add an addendum instead")
)

// Service is the accounts domain's entry point.
type Service struct {
	db  *gorm.DB
	now func() time.Time
}

// NewService returns a Service on db.
func NewService(db *gorm.DB) *Service {
	return &Service{db: db, now: time.Now}
}

// Reader is who reads an account, as the HTTP edge has worked out from the
// authorizer.
type Reader struct {
	UserID int64
	// Clearance is SeesPublic, SeesPeers or SeesPartner.
	Clearance int
	// Owner: a member of the account's organisation (or, for the funder's
	// reflection, one of the fund's stewards). Owners see drafts and every
	// section.
	Owner bool
	// Partner: a steward or learning partner of the fund; sees conversation
	// notes waiting for confirmation.
	Partner bool
	// Purpose the stories are read for: ForLearning, ForPublic or
	// ForReports. Owners read their own stories for no purpose.
	Purpose string
	// AlsoFor is a second purpose a story's consent must also cover: an
	// export is read for reports and, by whoever downloads it, for the
	// purpose they read for (the public's export needs public_pages too).
	AlsoFor string
}

// PurposeFor is the purpose a reader of a clearance reads stories for.
func PurposeFor(clearance int) string {
	if clearance >= SeesPeers {
		return ForLearning
	}
	return ForPublic
}

// Meta is an account without its words: what authorization and listing
// need.
type Meta struct {
	ID               int64      `json:"id"`
	FundID           int64      `json:"fund_id"`
	GrantID          *int64     `json:"grant_id"`
	OrganisationID   int64      `json:"organisation_id"`
	OrganisationName string     `json:"organisation_name"`
	Kind             string     `json:"kind"`
	Mode             string     `json:"mode"`
	Status           string     `json:"status"`
	PeriodStart      string     `json:"period_start"`
	PeriodEnd        string     `json:"period_end"`
	Version          int        `json:"version"`
	AuthorID         *int64     `json:"author_id"`
	AuthorName       string     `json:"author_name"`
	SubmittedAt      *time.Time `json:"submitted_at"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	// Open is the most open visibility among the sections with words
	// (SeesPartner+1 when none has any).
	Open int `json:"-"`
}

// Frozen reports whether the account can no longer change.
func (m Meta) Frozen() bool { return m.Status == Submitted || m.Status == Published }

// Visible reports whether r may know the account exists.
func (m Meta) Visible(r Reader) bool {
	if r.Owner || isAuthor(m, r) {
		return true
	}
	switch m.Status {
	case Draft:
		return false
	case Awaiting:
		return r.Partner
	}
	return r.Partner || m.Open <= r.Clearance
}

// Section is one section of an account, as a reader sees it.
type Section struct {
	Key        string  `json:"key"`
	Title      string  `json:"title"`
	Body       string  `json:"body"`
	Visibility string  `json:"visibility"`
	Stories    []Story `json:"stories,omitempty"`
}

// Story is a story about a person, with its consent.
type Story struct {
	ID        int64   `json:"id"`
	Body      string  `json:"body"`
	Consent   Consent `json:"consent"`
	CreatedBy *int64  `json:"created_by"`
	// Shown says whether anyone but its author may see it now (false once
	// withdrawn or expired): only its author ever reads a story that is
	// not shown.
	Shown bool `json:"shown"`
}

// Consent is what the person in a story agreed to.
type Consent struct {
	Purposes    []string   `json:"purposes"`
	Naming      string     `json:"naming"`
	ExpiresOn   *string    `json:"expires_on"`
	WithdrawnAt *time.Time `json:"withdrawn_at"`
}

// Addendum is a later word by the grantee on a submitted account.
type Addendum struct {
	ID         int64     `json:"id"`
	Body       string    `json:"body"`
	Visibility string    `json:"visibility"`
	CreatedBy  *int64    `json:"created_by"`
	AuthorName string    `json:"author_name"`
	CreatedAt  time.Time `json:"created_at"`
}

// Account is an account as one reader sees it.
type Account struct {
	Meta
	Sections    []Section  `json:"sections"`
	Addenda     []Addendum `json:"addenda"`
	Corrections string     `json:"corrections"`
	ConfirmedBy *int64     `json:"confirmed_by"`
	// Response: when it is due and whether it came (or is) late; nil for
	// accounts not submitted and for the funder's reflections.
	Response *ResponseState `json:"response"`
}

// ResponseState is where the stewards' response to an account stands.
type ResponseState struct {
	DueOn  string     `json:"due_on"`
	SentAt *time.Time `json:"sent_at"`
	Late   bool       `json:"late"`
}

// Response is the stewards' answer to an account.
type Response struct {
	AccountID  int64     `json:"account_id"`
	Body       string    `json:"body"`
	SentBy     *int64    `json:"sent_by"`
	SenderName string    `json:"sender_name"`
	SentAt     time.Time `json:"sent_at"`
	DueOn      string    `json:"due_on"`
	Late       bool      `json:"late"`
}
