// Package dialogue holds peer accountability dialogues: people taking part
// in a fund meet as peers to look at what they are learning, keep shared
// notes in versions, agree actions, and pass issues up to the fund's
// stewards, who answer them once. A follow-up names the dialogue it follows
// and opens with that dialogue's actions still open — the same rows, read
// live, so closing an action closes it everywhere.
//
// Who may know of a dialogue is decided here: its convener and the people
// invited who have not declined. Everyone else (a steward not taking part
// included) is told it does not exist. A dialogue never widens anyone's
// sight: a source is a pointer to a submitted account (or one of its
// sections), and each reader is shown only the sources they could read
// anyway, as the HTTP edge judges with the accounts domain (CanRead).
package dialogue

import (
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/fault"
)

// How a person takes part in a dialogue.
const (
	Convener = "convener"
	Invited  = "invited"
	Accepted = "accepted"
	Declined = "declined"
)

// Statuses of an agreed action.
const (
	Open    = "open"
	Done    = "done"
	Dropped = "dropped"
)

// StatusNames say an action's status in words.
var StatusNames = map[string]string{Open: "Open", Done: "Done", Dropped: "Dropped"}

// ParticipationNames say how someone takes part, in words.
var ParticipationNames = map[string]string{
	Convener: "Convened it", Invited: "Invited, not answered yet", Accepted: "Taking part", Declined: "Declined",
}

// FundRoles are the roles that count as taking part in a fund: only their
// holders may convene, be invited or own an action.
var FundRoles = []string{"steward", "panel_chair", "panel_member", "grantee", "learning_partner"}

// DefaultPrompts open a dialogue when its convener gives none of their own.
var DefaultPrompts = []string{
	"What patterns are we seeing, in our own work and in each other's?",
	"Where are we stuck, and what have we already tried?",
	"What do we ask of each other?",
	"What do we ask of the funder?",
	"What will we each do before we meet again?",
}

// Errors of this domain.
var (
	ErrNotFound        = fault.NotFoundf("dialogue not found")
	ErrActionNotFound  = fault.NotFoundf("action not found")
	ErrIssueNotFound   = fault.NotFoundf("issue not found")
	ErrNotTakingPart   = fault.Forbiddenf("accept the invitation first: only people taking part write in a dialogue")
	ErrAlreadyAnswered = fault.Conflictf("this issue has already been answered; an answer is given once")
	ErrConvenerAnswers = fault.Conflictf("you convened this dialogue, so there is no invitation to answer")
)

// CanRead reports whether the person reading may read an account (section
// key "") or one of its sections, exactly as they could outside the
// dialogue. The HTTP edge builds it from the authorizer and the accounts
// domain.
type CanRead func(accountID int64, sectionKey string) bool

// Service is the dialogues domain's entry point.
type Service struct {
	db  *gorm.DB
	now func() time.Time
}

// NewService returns a Service on db.
func NewService(db *gorm.DB) *Service {
	return &Service{db: db, now: time.Now}
}

// Summary is a dialogue in a list.
type Summary struct {
	ID           int64  `json:"id"`
	FundID       int64  `json:"fund_id"`
	Purpose      string `json:"purpose"`
	MeetsOn      string `json:"meets_on"`
	ConvenedBy   int64  `json:"convened_by"`
	ConvenerName string `json:"convener_name"`
	FollowsUp    *int64 `json:"follows_up"`
	// MyStatus is how the reader takes part: convener, invited or accepted.
	MyStatus    string `json:"my_status"`
	People      int    `json:"people"`
	OpenActions int    `json:"open_actions"`
}

// Dialogue is a dialogue as one participant sees it.
type Dialogue struct {
	ID            int64         `json:"id"`
	FundID        int64         `json:"fund_id"`
	Purpose       string        `json:"purpose"`
	MeetsOn       string        `json:"meets_on"`
	ConvenedBy    int64         `json:"convened_by"`
	ConvenerName  string        `json:"convener_name"`
	Prompts       []string      `json:"prompts"`
	OpenQuestions string        `json:"open_questions"`
	FollowsUp     *int64        `json:"follows_up"`
	Version       int           `json:"version"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
	MyStatus      string        `json:"my_status"`
	Participants  []Participant `json:"participants"`
	// Sources are only those the reader may read anyway.
	Sources []Source `json:"sources"`
	// Notes is the latest version, or nil before anyone wrote any.
	Notes   *Notes   `json:"notes"`
	Actions []Action `json:"actions"`
	Issues  []Issue  `json:"issues"`
	// Earlier is the dialogue this one follows up, with its actions still
	// open; nil when it follows none.
	Earlier *Earlier `json:"earlier"`
	// FollowUps are the later dialogues that follow this one and that the
	// reader takes part in.
	FollowUps []Summary `json:"follow_ups"`
}

// Participant is someone invited, and their answer.
type Participant struct {
	UserID      int64      `json:"user_id"`
	DisplayName string     `json:"display_name"`
	Status      string     `json:"status"`
	InvitedAt   time.Time  `json:"invited_at"`
	RespondedAt *time.Time `json:"responded_at"`
}

// Source is what a dialogue starts from: an account, or one section of it.
type Source struct {
	ID               int64  `json:"id"`
	AccountID        int64  `json:"account_id"`
	SectionKey       string `json:"section_key"`
	SectionTitle     string `json:"section_title"`
	Kind             string `json:"kind"`
	OrganisationName string `json:"organisation_name"`
	PeriodStart      string `json:"period_start"`
	PeriodEnd        string `json:"period_end"`
}

// Notes is one saved version of the shared notes.
type Notes struct {
	Version    int       `json:"version"`
	Body       string    `json:"body"`
	WrittenBy  *int64    `json:"written_by"`
	WriterName string    `json:"writer_name"`
	WrittenAt  time.Time `json:"written_at"`
}

// Action is an action the participants agreed.
type Action struct {
	ID            int64     `json:"id"`
	DialogueID    int64     `json:"dialogue_id"`
	What          string    `json:"what"`
	OwnerID       int64     `json:"owner_id"`
	OwnerName     string    `json:"owner_name"`
	DueOn         *string   `json:"due_on"`
	Status        string    `json:"status"`
	DroppedReason string    `json:"dropped_reason"`
	Version       int       `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// OwnedAction is an action with the dialogue it was agreed in, for a
// person's own list.
type OwnedAction struct {
	Action
	FundID          int64  `json:"fund_id"`
	FundName        string `json:"fund_name"`
	DialoguePurpose string `json:"dialogue_purpose"`
	DialogueMeetsOn string `json:"dialogue_meets_on"`
}

// Earlier is the dialogue a follow-up follows, with its open actions.
type Earlier struct {
	ID          int64    `json:"id"`
	Purpose     string   `json:"purpose"`
	MeetsOn     string   `json:"meets_on"`
	OpenActions []Action `json:"open_actions"`
}

// Issue is an issue passed up to the stewards, and their answer.
type Issue struct {
	ID           int64      `json:"id"`
	DialogueID   int64      `json:"dialogue_id"`
	Body         string     `json:"body"`
	RaisedBy     *int64     `json:"raised_by"`
	RaiserName   string     `json:"raiser_name"`
	RaisedAt     time.Time  `json:"raised_at"`
	Answer       *string    `json:"answer"`
	AnsweredBy   *int64     `json:"answered_by"`
	AnswererName string     `json:"answerer_name"`
	AnsweredAt   *time.Time `json:"answered_at"`
}

// PassedUp is an issue as the stewards see it: with the dialogue's purpose
// and date, never its notes.
type PassedUp struct {
	Issue
	DialoguePurpose string `json:"dialogue_purpose"`
	DialogueMeetsOn string `json:"dialogue_meets_on"`
}

// Person is someone taking part in a fund, who may be invited.
type Person struct {
	UserID      int64    `json:"user_id"`
	DisplayName string   `json:"display_name"`
	Roles       []string `json:"roles"`
}

func utc(t *time.Time) {
	*t = t.UTC()
}

func utcp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
