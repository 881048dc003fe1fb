package panel

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// CorrectionWindow is how long after posting its author may correct a
// comment. Long enough to fix a slip; short enough that nobody replies to
// words that later change under them. After it, a comment can only be
// retracted, with a reason.
const CorrectionWindow = 10 * time.Minute

// Limits on what a comment holds.
const (
	MaxCommentLength = 5000
	MaxReasonLength  = 1000
)

// discussingStates are the round states in which the panel posts.
var discussingStates = []string{"review", "voting"}

// DiscussionOpen reports whether the panel posts in a round in state.
func DiscussionOpen(state string) bool { return slices.Contains(discussingStates, state) }

// Comment is one contribution to an application's deliberation. A
// retracted comment keeps its place in the thread but not its words: Body
// is nil and RetractionReason says why.
type Comment struct {
	ID               int64      `json:"id"`
	ApplicationID    int64      `json:"application_id"`
	FundID           int64      `json:"-"`
	AuthorID         int64      `json:"author_id"`
	AuthorName       string     `json:"author_name"`
	Body             *string    `json:"body"`
	CreatedAt        time.Time  `json:"created_at"`
	EditedAt         *time.Time `json:"edited_at"`
	RetractedAt      *time.Time `json:"retracted_at"`
	RetractionReason *string    `json:"retraction_reason"`
	CorrectableUntil time.Time  `json:"correctable_until"`
}

// Correctable reports whether userID may still correct c at now.
func (c Comment) Correctable(userID int64, now time.Time) bool {
	return c.AuthorID == userID && c.RetractedAt == nil && now.Before(c.CorrectableUntil)
}

// Retractable reports whether userID may retract c.
func (c Comment) Retractable(userID int64) bool {
	return c.AuthorID == userID && c.RetractedAt == nil
}

// The retracted body never leaves the database through this query.
const commentColumns = `SELECT c.id, c.application_id, a.fund_id, c.author_id, u.display_name AS author_name,
	CASE WHEN c.retracted_at IS NULL THEN c.body END AS body, c.created_at, c.edited_at, c.retracted_at,
	c.retraction_reason, c.created_at + make_interval(secs => ?) AS correctable_until
	FROM comments c JOIN applications a ON a.id = c.application_id JOIN users u ON u.id = c.author_id`

func windowSeconds() float64 { return CorrectionWindow.Seconds() }

// Thread lists an application's comments, oldest first.
func (s *Service) Thread(ctx context.Context, applicationID int64) ([]Comment, error) {
	var out []Comment
	err := store.Conn(ctx, s.db).Raw(commentColumns+` WHERE c.application_id = ? ORDER BY c.id`,
		windowSeconds(), applicationID).Scan(&out).Error
	return out, err
}

// GetComment returns one comment, or ErrCommentNotFound.
func (s *Service) GetComment(ctx context.Context, id int64) (Comment, error) {
	var c Comment
	if err := store.Conn(ctx, s.db).Raw(commentColumns+` WHERE c.id = ?`, windowSeconds(), id).Scan(&c).Error; err != nil {
		return Comment{}, err
	}
	if c.ID == 0 {
		return Comment{}, ErrCommentNotFound
	}
	return c, nil
}

// Answers to people who may not take part in a thread.
var (
	ErrDeclareFirst = fault.Conflictf("declare any conflict of interest on this application before you read or join its deliberation")
	ErrRecused      = fault.Forbiddenf("you recused yourself from this application, so its deliberation is closed to you")
)

// CheckDeliberation applies the rules a role cannot express to someone the
// authorizer lets into a fund's deliberations. oversees is true for those
// who see every declaration in the fund (its stewards): they do not declare
// themselves. Everyone else (the panel) must have declared on the
// application (ErrDeclareFirst) and not recused (ErrRecused). Anyone who
// did recuse is kept out, whatever other role they hold.
func (s *Service) CheckDeliberation(ctx context.Context, applicationID, userID int64, oversees bool) error {
	kind, err := DeclarationKind(ctx, s.db, applicationID, userID)
	if err != nil {
		return err
	}
	switch {
	case kind == Recused:
		return ErrRecused
	case kind == "" && !oversees:
		return ErrDeclareFirst
	}
	return nil
}

func checkText(field, text string, limit int) error {
	if text == "" {
		return validate.Field(field, "is required")
	}
	if utf8.RuneCountInString(text) > limit {
		return validate.Field(field, "must be at most "+strconv.Itoa(limit)+" characters")
	}
	return nil
}

// PostComment adds a comment to an application's deliberation, while its
// round is in panel review or voting. Who may post is the caller's to check
// (the authorizer, then CheckDeliberation).
func (s *Service) PostComment(ctx context.Context, actorID, applicationID int64, body string) (Comment, error) {
	body = strings.TrimSpace(body)
	if err := checkText("body", body, MaxCommentLength); err != nil {
		return Comment{}, err
	}
	var id int64
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		var row struct {
			ID     int64
			FundID int64
			State  string
		}
		if err := tx.Raw(`SELECT a.id, a.fund_id, r.state FROM applications a JOIN rounds r ON r.id = a.round_id
			WHERE a.id = ? FOR SHARE OF r`, applicationID).Scan(&row).Error; err != nil {
			return err
		}
		if row.ID == 0 {
			return ErrApplicationNotFound
		}
		if !slices.Contains(discussingStates, row.State) {
			return fault.Conflictf("the panel discusses applications while the round is in panel review or voting; this round is %s",
				stateName(row.State))
		}
		if err := tx.Raw(`INSERT INTO comments (application_id, author_id, body) VALUES (?, ?, ?) RETURNING id`,
			applicationID, actorID, body).Scan(&id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "comment.create", ObjectType: "comment",
			ObjectID: id, FundID: row.FundID, Changes: map[string]any{"application_id": applicationID}})
	})
	if err != nil {
		return Comment{}, err
	}
	return s.GetComment(ctx, id)
}

// lockedComment is a comment row locked for a change by its author.
type lockedComment struct {
	ID        int64
	FundID    int64
	AuthorID  int64
	Body      string
	Retracted bool
	Open      bool // still within the correction window
}

func (s *Service) lockComment(tx *gorm.DB, actorID, id int64) (lockedComment, error) {
	var c lockedComment
	if err := tx.Raw(`SELECT c.id, a.fund_id, c.author_id, c.body, c.retracted_at IS NOT NULL AS retracted,
		c.created_at + make_interval(secs => ?) > now() AS open
		FROM comments c JOIN applications a ON a.id = c.application_id WHERE c.id = ? FOR UPDATE OF c`,
		windowSeconds(), id).Scan(&c).Error; err != nil {
		return c, err
	}
	if c.ID == 0 {
		return c, ErrCommentNotFound
	}
	if c.AuthorID != actorID {
		return c, fault.Forbiddenf("only its author can change a comment")
	}
	if c.Retracted {
		return c, fault.Conflictf("this comment has been retracted; it can no longer change")
	}
	return c, nil
}

// CorrectComment replaces a comment's words, within CorrectionWindow of
// posting and by its author only. The words replaced are kept in
// comment_revisions.
func (s *Service) CorrectComment(ctx context.Context, actorID, id int64, body string) (Comment, error) {
	body = strings.TrimSpace(body)
	if err := checkText("body", body, MaxCommentLength); err != nil {
		return Comment{}, err
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		c, err := s.lockComment(tx, actorID, id)
		if err != nil {
			return err
		}
		if !c.Open {
			return fault.Conflictf("a comment can be corrected for %d minutes after posting; retract this one with a reason and post again instead",
				int(CorrectionWindow.Minutes()))
		}
		if c.Body == body {
			return nil
		}
		if err := tx.Exec(`INSERT INTO comment_revisions (comment_id, body) VALUES (?, ?)`, id, c.Body).Error; err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE comments SET body = ?, edited_at = now() WHERE id = ?`, body, id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "comment.correct", ObjectType: "comment",
			ObjectID: id, FundID: c.FundID})
	})
	if err != nil {
		return Comment{}, err
	}
	return s.GetComment(ctx, id)
}

// RetractComment withdraws a comment's words, with a reason, by its author
// only; at any time, even after the author has recused, since taking back
// one's own words never reveals anything. The comment keeps its place and
// shows the reason instead.
func (s *Service) RetractComment(ctx context.Context, actorID, id int64, reason string) (Comment, error) {
	reason = strings.TrimSpace(reason)
	if err := checkText("reason", reason, MaxReasonLength); err != nil {
		return Comment{}, err
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		c, err := s.lockComment(tx, actorID, id)
		if err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE comments SET retracted_at = now(), retraction_reason = ? WHERE id = ?`, reason, id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "comment.retract", ObjectType: "comment",
			ObjectID: id, FundID: c.FundID, Changes: map[string]any{"reason": reason}})
	})
	if err != nil {
		return Comment{}, err
	}
	return s.GetComment(ctx, id)
}
