package account

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// SectionInput is what is written in one section.
type SectionInput struct {
	Body       string `json:"body" validate:"max=20000"`
	Visibility string `json:"visibility" validate:"omitempty,oneof=funder_and_partner peers public"`
}

// StoryInput is a story about a person with the consent they gave.
type StoryInput struct {
	// ID names one of the draft's stories to change; without it the story
	// is new.
	ID   int64  `json:"id" validate:"omitempty,gt=0"`
	Body string `json:"body" validate:"notblank,max=10000"`
	// Purposes the person agreed the story may be used for (at least one).
	Purposes  []string `json:"purposes" validate:"required,min=1,max=3,dive,oneof=learning_within_fund public_pages reports"`
	Naming    string   `json:"naming" validate:"required,oneof=anonymous first_name full_name"`
	ExpiresOn string   `json:"expires_on" validate:"omitempty,datetime=2006-01-02"`
}

// Contents are an account's words: its period, its sections (only those
// given change) and its stories (when given, they replace the draft's).
type Contents struct {
	PeriodStart string                  `json:"period_start" validate:"omitempty,datetime=2006-01-02"`
	PeriodEnd   string                  `json:"period_end" validate:"omitempty,datetime=2006-01-02"`
	Sections    map[string]SectionInput `json:"sections" validate:"omitempty,dive,keys,oneof=context_changed what_we_tried what_happened not_as_hoped what_we_learnt what_we_will_change what_we_need signal_readings,endkeys"`
	Stories     *[]StoryInput           `json:"stories" validate:"omitempty,max=50,dive"`
}

// NewAccount starts an account: a draft the grantee writes, or notes of a
// conversation a steward or learning partner writes for the grantee to
// confirm.
type NewAccount struct {
	Mode string `json:"mode" validate:"omitempty,oneof=written conversation"`
	Contents
}

// Edit changes a draft; Version is the one the edit started from.
type Edit struct {
	Version int `json:"version" validate:"required,gt=0"`
	Contents
}

// AddendumInput is a later word on a submitted account.
type AddendumInput struct {
	Body       string `json:"body" validate:"notblank,max=20000"`
	Visibility string `json:"visibility" validate:"omitempty,oneof=funder_and_partner peers public"`
}

// ResponseInput is the stewards' answer.
type ResponseInput struct {
	Body string `json:"body" validate:"notblank,max=20000"`
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func (c *Contents) trim() {
	for k, v := range c.Sections {
		v.Body = strings.TrimSpace(v.Body)
		c.Sections[k] = v
	}
	if c.Stories != nil {
		for i := range *c.Stories {
			(*c.Stories)[i].Body = strings.TrimSpace((*c.Stories)[i].Body)
		}
	}
}

// grantRow is what accounts need of a grant.
type grantRow struct {
	ID, FundID, OrganisationID int64
	Title                      string
	StartsOn, EndsOn           string
}

func (s *Service) grant(ctx context.Context, id int64) (grantRow, error) {
	var gs []grantRow
	if err := store.Conn(ctx, s.db).Raw(`SELECT id, fund_id, organisation_id, title, to_char(starts_on, 'YYYY-MM-DD') AS starts_on,
		to_char(ends_on, 'YYYY-MM-DD') AS ends_on FROM grants WHERE id = ?`, id).Scan(&gs).Error; err != nil {
		return grantRow{}, err
	}
	if len(gs) == 0 {
		return grantRow{}, ErrGrantNotFound
	}
	return gs[0], nil
}

func (s *Service) today() time.Time {
	return s.now().UTC().Truncate(24 * time.Hour)
}

// period checks the period given, or fills in the one that is due.
func (s *Service) period(ctx context.Context, c Contents, grantID int64) (string, string, error) {
	start, end := c.PeriodStart, c.PeriodEnd
	if start == "" || end == "" {
		ds, de, err := s.defaultPeriod(ctx, grantID)
		if err != nil {
			return "", "", err
		}
		if start == "" {
			start = ds
		}
		if end == "" {
			end = de
			if end < start {
				end = start
			}
		}
	}
	if end < start {
		return "", "", validate.Field("period_end", "must be on or after period_start")
	}
	return start, end, nil
}

// Create starts an account of a grant. A written account is a draft; notes
// of a conversation wait for a grantee to confirm them, and need words.
func (s *Service) Create(ctx context.Context, actorID, grantID int64, in NewAccount) (Meta, error) {
	if err := validate.Struct(in); err != nil {
		return Meta{}, err
	}
	in.trim()
	if in.Mode == "" {
		in.Mode = Written
	}
	g, err := s.grant(ctx, grantID)
	if err != nil {
		return Meta{}, err
	}
	status := Draft
	if in.Mode == Conversation {
		status = Awaiting
		if !hasWords(in.Contents) {
			return Meta{}, validate.Field("sections", "needs the notes of the conversation in at least one section")
		}
	}
	var id int64
	err = store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		start, end, err := s.period(ctx, in.Contents, grantID)
		if err != nil {
			return err
		}
		// Notes are written in one go: the sections go in before the
		// account leaves draft, since nothing may change it afterwards.
		if err := tx.Raw(`INSERT INTO reflective_accounts (fund_id, grant_id, organisation_id, kind, mode, period_start, period_end,
				status, author_id) VALUES (?, ?, ?, 'grantee', ?, ?, ?, 'draft', ?) RETURNING id`,
			g.FundID, g.ID, g.OrganisationID, in.Mode, start, end, nullID(actorID)).Scan(&id).Error; err != nil {
			return err
		}
		if err := s.writeContents(ctx, tx, actorID, id, in.Contents, true); err != nil {
			return err
		}
		if status == Awaiting {
			if err := tx.Exec(`UPDATE reflective_accounts SET status = 'awaiting_confirmation' WHERE id = ?`, id).Error; err != nil {
				return err
			}
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "account.create", ObjectType: "reflective_account",
			ObjectID: id, FundID: g.FundID, Changes: map[string]any{"grant_id": g.ID, "mode": in.Mode, "period_start": start, "period_end": end}})
	})
	if err != nil {
		return Meta{}, err
	}
	return s.Meta(ctx, id)
}

// CreateReflection starts one of the funder's own reflections, a draft.
func (s *Service) CreateReflection(ctx context.Context, actorID, fundID int64, c Contents) (Meta, error) {
	if err := validate.Struct(c); err != nil {
		return Meta{}, err
	}
	c.trim()
	today := s.today().Format(time.DateOnly)
	if c.PeriodEnd == "" {
		c.PeriodEnd = today
	}
	if c.PeriodStart == "" {
		c.PeriodStart = min(c.PeriodEnd, s.today().AddDate(0, -6, 0).Format(time.DateOnly))
	}
	if c.PeriodEnd < c.PeriodStart {
		return Meta{}, validate.Field("period_end", "must be on or after period_start")
	}
	var id int64
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		var orgs []int64
		if err := tx.Raw(`SELECT organisation_id FROM funds WHERE id = ?`, fundID).Scan(&orgs).Error; err != nil {
			return err
		}
		if len(orgs) == 0 {
			return fault.NotFoundf("fund not found")
		}
		if err := tx.Raw(`INSERT INTO reflective_accounts (fund_id, organisation_id, kind, period_start, period_end, author_id)
				VALUES (?, ?, 'funder', ?, ?, ?) RETURNING id`, fundID, orgs[0], c.PeriodStart, c.PeriodEnd, nullID(actorID)).
			Scan(&id).Error; err != nil {
			return err
		}
		if err := s.writeContents(ctx, tx, actorID, id, c, true); err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "reflection.create", ObjectType: "reflective_account",
			ObjectID: id, FundID: fundID})
	})
	if err != nil {
		return Meta{}, err
	}
	return s.Meta(ctx, id)
}

func hasWords(c Contents) bool {
	for _, v := range c.Sections {
		if v.Body != "" {
			return true
		}
	}
	return c.Stories != nil && len(*c.Stories) > 0
}

// writeContents writes sections (all of them when fresh) and stories.
func (s *Service) writeContents(ctx context.Context, tx *gorm.DB, actorID, id int64, c Contents, fresh bool) error {
	for _, key := range SectionKeys {
		in, given := c.Sections[key]
		if !given && !fresh {
			continue
		}
		vis := in.Visibility
		if vis == "" {
			vis = FunderAndPartner
		}
		if err := tx.Exec(`INSERT INTO account_sections (account_id, key, body, visibility) VALUES (?, ?, ?, ?)
			ON CONFLICT (account_id, key) DO UPDATE SET body = EXCLUDED.body, visibility = EXCLUDED.visibility`,
			id, key, in.Body, vis).Error; err != nil {
			return err
		}
	}
	if c.Stories == nil {
		return nil
	}
	return s.writeStories(ctx, tx, actorID, id, *c.Stories)
}

// storyRow is a story as it stands before an edit.
type storyRow struct {
	ID        int64
	Body      string
	Purposes  string
	Naming    string
	ExpiresOn *string
	Withdrawn bool
	// Hidden: expired, and written by someone else, so the one editing
	// never saw it.
	Hidden   bool
	Position int
}

// writeStories makes the draft's stories what the edit says. A story sent
// with the id of one of the account's stories changes that story; one
// without an id is new; the stories the editor could see and did not send
// are taken out.
//
// A withdrawal of consent is for good. A story whose consent was withdrawn
// is kept as it is: sent back unchanged (a client that round-trips the
// account) it stays withdrawn; sent with other words or other consent it
// is refused, naming the field, since it would otherwise come back to
// life with consent the person never gave; and new text that repeats a
// withdrawn story word for word is dropped for the same reason. Expired
// stories written by someone else, which the editor never saw, are kept.
func (s *Service) writeStories(ctx context.Context, tx *gorm.DB, actorID, id int64, in []StoryInput) error {
	var rows []storyRow
	if err := tx.Raw(`SELECT id, body, array_to_string(purposes, ',') AS purposes, naming,
			to_char(expires_on, 'YYYY-MM-DD') AS expires_on, withdrawn_at IS NOT NULL AS withdrawn,
			(expires_on IS NOT NULL AND expires_on < current_date AND created_by IS DISTINCT FROM ?) AS hidden, position
		FROM account_stories WHERE account_id = ? ORDER BY position`, nullID(actorID), id).Scan(&rows).Error; err != nil {
		return err
	}
	byID := map[int64]storyRow{}
	gone := map[string]bool{}
	next := 0
	for _, r := range rows {
		byID[r.ID] = r
		if r.Withdrawn {
			gone[strings.TrimSpace(r.Body)] = true
		}
		if r.Withdrawn || r.Hidden {
			next = max(next, r.Position)
		}
	}
	sent := map[int64]bool{}
	for i, st := range in {
		if st.ID == 0 {
			continue
		}
		r, ok := byID[st.ID]
		switch {
		case !ok:
			return validate.Field(fmt.Sprintf("stories[%d].id", i), "is not a story of this account")
		case sent[st.ID]:
			return validate.Field(fmt.Sprintf("stories[%d].id", i), "names a story already given above")
		case r.Withdrawn && !sameStory(r, st):
			return validate.Field(fmt.Sprintf("stories[%d].body", i),
				"belongs to a story whose consent was withdrawn: it cannot be changed or used again. Leave it out, or send it unchanged")
		}
		sent[st.ID] = true
	}
	// Take out what the editor could see and did not send back.
	for _, r := range rows {
		if r.Withdrawn || r.Hidden || sent[r.ID] {
			continue
		}
		if err := tx.Exec(`DELETE FROM account_stories WHERE id = ?`, r.ID).Error; err != nil {
			return err
		}
	}
	for _, st := range in {
		if st.ID == 0 && gone[strings.TrimSpace(st.Body)] {
			continue
		}
		if r := byID[st.ID]; st.ID != 0 && r.Withdrawn {
			continue // sent back unchanged: it stays as it is, withdrawn
		}
		var expires any
		if st.ExpiresOn != "" {
			expires = st.ExpiresOn
		}
		next++
		if st.ID != 0 {
			if err := tx.Exec(`UPDATE account_stories SET position = ?, body = ?, purposes = string_to_array(?, ','), naming = ?,
				expires_on = ? WHERE id = ? AND account_id = ?`,
				next, st.Body, strings.Join(st.Purposes, ","), st.Naming, expires, st.ID, id).Error; err != nil {
				return err
			}
			continue
		}
		if err := tx.Exec(`INSERT INTO account_stories (account_id, position, body, purposes, naming, expires_on, created_by)
			VALUES (?, ?, ?, string_to_array(?, ','), ?, ?, ?)`,
			id, next, st.Body, strings.Join(st.Purposes, ","), st.Naming, expires, nullID(actorID)).Error; err != nil {
			return err
		}
	}
	return nil
}

// sameStory reports whether st repeats r word for word with the same
// consent.
func sameStory(r storyRow, st StoryInput) bool {
	have, want := splitList(r.Purposes), slices.Clone(st.Purposes)
	slices.Sort(have)
	slices.Sort(want)
	exp := ""
	if r.ExpiresOn != nil {
		exp = *r.ExpiresOn
	}
	return strings.TrimSpace(r.Body) == strings.TrimSpace(st.Body) && slices.Equal(slices.Compact(have), slices.Compact(want)) &&
		r.Naming == st.Naming && exp == st.ExpiresOn
}

// locked reads an account for a change, holding it until the transaction
// ends.
func (s *Service) locked(ctx context.Context, id int64) (Meta, error) {
	var ids []int64
	if err := store.Conn(ctx, s.db).Raw(`SELECT id FROM reflective_accounts WHERE id = ? FOR UPDATE`, id).Scan(&ids).Error; err != nil {
		return Meta{}, err
	}
	if len(ids) == 0 {
		return Meta{}, ErrNotFound
	}
	return s.Meta(ctx, id)
}

func (s *Service) checkDraft(m Meta, version int) error {
	switch {
	case m.Frozen():
		return ErrFrozen
	case m.Status == Awaiting:
		return fault.Conflictf("notes of a conversation are not edited: the grantee confirms them, with corrections if they wish")
	case version != m.Version:
		return fault.PreconditionFailedf("this draft was changed by someone else: you edited version %d and it is now at version %d; nothing was saved — reload it and make your change again", version, m.Version)
	}
	return nil
}

// Update changes a draft. The edit must name the version it started from:
// an edit of an older version is refused (412) and nothing is overwritten.
func (s *Service) Update(ctx context.Context, actorID, id int64, in Edit) (Meta, error) {
	if err := validate.Struct(in); err != nil {
		return Meta{}, err
	}
	in.trim()
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		m, err := s.locked(ctx, id)
		if err != nil {
			return err
		}
		if err := s.checkDraft(m, in.Version); err != nil {
			return err
		}
		start, end := m.PeriodStart, m.PeriodEnd
		if in.PeriodStart != "" {
			start = in.PeriodStart
		}
		if in.PeriodEnd != "" {
			end = in.PeriodEnd
		}
		if end < start {
			return validate.Field("period_end", "must be on or after period_start")
		}
		if err := s.writeContents(ctx, tx, actorID, id, in.Contents, false); err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE reflective_accounts SET period_start = ?, period_end = ?, version = version + 1, updated_at = now()
			WHERE id = ?`, start, end, id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "account.update", ObjectType: "reflective_account",
			ObjectID: id, FundID: m.FundID, Changes: map[string]any{"version": m.Version + 1}})
	})
	if err != nil {
		return Meta{}, err
	}
	return s.Meta(ctx, id)
}

// Submit sends a grantee's draft to the fund (or publishes a funder's
// reflection). From then on it never changes.
func (s *Service) Submit(ctx context.Context, actorID, id int64, version int) (Meta, error) {
	if version <= 0 {
		return Meta{}, validate.Field("version", "is required")
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		m, err := s.locked(ctx, id)
		if err != nil {
			return err
		}
		if err := s.checkDraft(m, version); err != nil {
			return err
		}
		var words int64
		if err := tx.Raw(`SELECT (SELECT count(*) FROM account_sections WHERE account_id = ? AND body <> '')
			+ (SELECT count(*) FROM account_stories WHERE account_id = ? AND withdrawn_at IS NULL
				AND (expires_on IS NULL OR expires_on >= current_date))`, id, id).Scan(&words).Error; err != nil {
			return err
		}
		if words == 0 {
			return validate.Field("sections", "are all empty (a story whose consent was withdrawn or has ended does not count): write something in at least one section first")
		}
		to := Submitted
		if m.Kind == Funder {
			to = Published
		}
		if err := tx.Exec(`UPDATE reflective_accounts SET status = ?, submitted_by = ?, submitted_at = now(), updated_at = now()
			WHERE id = ?`, to, nullID(actorID), id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "account." + map[string]string{Submitted: "submit", Published: "publish"}[to],
			ObjectType: "reflective_account", ObjectID: id, FundID: m.FundID})
	})
	if err != nil {
		return Meta{}, err
	}
	return s.Meta(ctx, id)
}

// Confirmation is a grantee confirming notes of a conversation, with any
// corrections they want on record.
type Confirmation struct {
	Corrections string `json:"corrections" validate:"max=20000"`
}

// Confirm makes notes of a conversation count as the grantee's account.
func (s *Service) Confirm(ctx context.Context, actorID, id int64, in Confirmation) (Meta, error) {
	if err := validate.Struct(in); err != nil {
		return Meta{}, err
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		m, err := s.locked(ctx, id)
		if err != nil {
			return err
		}
		if m.Status != Awaiting {
			return fault.Conflictf("only notes of a conversation waiting for confirmation can be confirmed; this account is %s",
				strings.ToLower(StatusNames[m.Status]))
		}
		if err := tx.Exec(`UPDATE reflective_accounts SET status = 'submitted', confirmed_by = ?, corrections = ?,
			submitted_by = ?, submitted_at = now(), updated_at = now() WHERE id = ?`,
			nullID(actorID), strings.TrimSpace(in.Corrections), nullID(actorID), id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "account.confirm", ObjectType: "reflective_account",
			ObjectID: id, FundID: m.FundID, Changes: map[string]any{"corrected": strings.TrimSpace(in.Corrections) != ""}})
	})
	if err != nil {
		return Meta{}, err
	}
	return s.Meta(ctx, id)
}

// AddAddendum adds a dated word to a submitted account: the one way to
// correct it.
func (s *Service) AddAddendum(ctx context.Context, actorID, id int64, in AddendumInput) (Addendum, error) {
	if err := validate.Struct(in); err != nil {
		return Addendum{}, err
	}
	if in.Visibility == "" {
		in.Visibility = FunderAndPartner
	}
	var d Addendum
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		m, err := s.locked(ctx, id)
		if err != nil {
			return err
		}
		if !m.Frozen() {
			return fault.Conflictf("addenda are for submitted accounts; while it is a draft, change the account itself")
		}
		if err := tx.Raw(`INSERT INTO account_addenda (account_id, body, visibility, created_by) VALUES (?, ?, ?, ?)
			RETURNING id, body, visibility, created_by, created_at`, id, strings.TrimSpace(in.Body), in.Visibility, nullID(actorID)).
			Scan(&d).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "account.addendum", ObjectType: "reflective_account",
			ObjectID: id, FundID: m.FundID, Changes: map[string]any{"addendum_id": d.ID}})
	})
	d.CreatedAt = d.CreatedAt.UTC()
	return d, err
}

// WithdrawStory records that the person in a story withdrew their consent:
// from now on only its author sees it. Withdrawing twice changes nothing.
func (s *Service) WithdrawStory(ctx context.Context, actorID, id, storyID int64) error {
	return store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		m, err := s.locked(ctx, id)
		if err != nil {
			return err
		}
		var n []int64
		if err := tx.Raw(`SELECT id FROM account_stories WHERE id = ? AND account_id = ?`, storyID, id).Scan(&n).Error; err != nil {
			return err
		}
		if len(n) == 0 {
			return ErrStoryNotFound
		}
		res := tx.Exec(`UPDATE account_stories SET withdrawn_at = now(), withdrawn_by = ? WHERE id = ? AND withdrawn_at IS NULL`,
			actorID, storyID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "account.story_withdrawn", ObjectType: "reflective_account",
			ObjectID: id, FundID: m.FundID, Changes: map[string]any{"story_id": storyID}})
	})
}

// Respond sends the stewards' response to a submitted account. There is
// one, and it never changes.
func (s *Service) Respond(ctx context.Context, actorID, id int64, in ResponseInput) (Response, error) {
	if err := validate.Struct(in); err != nil {
		return Response{}, err
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		m, err := s.locked(ctx, id)
		if err != nil {
			return err
		}
		if m.Kind != Grantee || m.Status != Submitted {
			return fault.Conflictf("only a submitted account gets a response")
		}
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM account_responses WHERE account_id = ?`, id).Scan(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return fault.Conflictf("the fund has already responded to this account, and a response never changes")
		}
		if err := tx.Exec(`INSERT INTO account_responses (account_id, body, sent_by) VALUES (?, ?, ?)`,
			id, strings.TrimSpace(in.Body), nullID(actorID)).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "account.respond", ObjectType: "reflective_account",
			ObjectID: id, FundID: m.FundID})
	})
	if err != nil {
		return Response{}, err
	}
	return s.Response(ctx, id)
}

// ResponseDays is how many days a fund gives itself to answer an account.
type ResponseDays struct {
	ResponseDays int `json:"response_days" validate:"required,min=1,max=365"`
}

// ResponseDaysOf returns a fund's response time in days.
func (s *Service) ResponseDaysOf(ctx context.Context, fundID int64) (int, error) {
	var ds []int
	if err := store.Conn(ctx, s.db).Raw(`SELECT response_days FROM funds WHERE id = ?`, fundID).Scan(&ds).Error; err != nil {
		return 0, err
	}
	if len(ds) == 0 {
		return 0, fault.NotFoundf("fund not found")
	}
	return ds[0], nil
}

// SetResponseDays sets how many days the fund gives itself to answer an
// account (from the day it was submitted).
func (s *Service) SetResponseDays(ctx context.Context, actorID, fundID int64, in ResponseDays) (ResponseDays, error) {
	if err := validate.Struct(in); err != nil {
		return ResponseDays{}, err
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		res := tx.Exec(`UPDATE funds SET response_days = ? WHERE id = ?`, in.ResponseDays, fundID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fault.NotFoundf("fund not found")
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "fund.response_days", ObjectType: "fund",
			ObjectID: fundID, FundID: fundID, Changes: map[string]any{"response_days": in.ResponseDays}})
	})
	return in, err
}
