package pattern

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// Tag is a curated theme on a source: an account section, or a
// dialogue's notes.
type Tag struct {
	ID         int64     `json:"id"`
	FundID     int64     `json:"fund_id"`
	ThemeID    int64     `json:"theme_id"`
	AccountID  *int64    `json:"account_id"`
	SectionKey *string   `json:"section_key"`
	DialogueID *int64    `json:"dialogue_id"`
	TaggedBy   *int64    `json:"tagged_by"`
	TaggedAt   time.Time `json:"tagged_at"`
}

// NewTag puts a theme on a source: AccountID with SectionKey, or
// DialogueID.
type NewTag struct {
	ThemeID    int64  `json:"theme_id" validate:"required,gt=0"`
	AccountID  int64  `json:"account_id" validate:"omitempty,gt=0"`
	SectionKey string `json:"section_key" validate:"omitempty,oneof=context_changed what_we_tried what_happened not_as_hoped what_we_learnt what_we_will_change what_we_need signal_readings"`
	DialogueID int64  `json:"dialogue_id" validate:"omitempty,gt=0"`
}

const tagSelect = `SELECT id, fund_id, theme_id, account_id, section_key, dialogue_id, tagged_by, tagged_at FROM theme_tags`

// TagByID reads one tag; who may see or remove it is for MayTag to say.
func (s *Service) TagByID(ctx context.Context, id int64) (Tag, error) {
	var ts []Tag
	if err := store.Conn(ctx, s.db).Raw(tagSelect+` WHERE id = ?`, id).Scan(&ts).Error; err != nil {
		return Tag{}, err
	}
	if len(ts) == 0 {
		return Tag{}, ErrTagNotFound
	}
	return ts[0], nil
}

// mayTagAccount says whether the viewer may put themes on a section of an
// account: only someone who can read the section (drafts are nobody's
// source, so nobody tags them; anyone else is told it does not exist),
// and then only a steward or learning partner, or the grantee whose
// account it is.
func (s *Service) mayTagAccount(ctx context.Context, v account.Viewer, accountID int64, key string) error {
	ok, err := s.accounts.CanRead(ctx, v, accountID, key)
	if err != nil {
		return err
	}
	if !ok {
		return ErrSourceHidden
	}
	if v.Partner {
		return nil
	}
	var acc struct {
		Kind           string
		OrganisationID int64
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT kind, organisation_id FROM reflective_accounts WHERE id = ?`, accountID).Scan(&acc).Error; err != nil {
		return err
	}
	if acc.Kind == account.Grantee && slices.Contains(v.OwnOrgs, acc.OrganisationID) {
		return nil
	}
	return ErrMayNotTag
}

// takesPart reports whether the viewer takes part in a dialogue of their
// fund (convener, invited or accepted; not declined).
func (s *Service) takesPart(ctx context.Context, v account.Viewer, dialogueID int64) (bool, error) {
	if v.Participant() == 0 {
		return false, nil
	}
	var n int64
	err := store.Conn(ctx, s.db).Raw(`SELECT count(*) FROM dialogues d JOIN dialogue_participants p ON p.dialogue_id = d.id
		WHERE d.id = ? AND d.fund_id = ? AND p.user_id = ? AND p.status <> 'declined'`, dialogueID, v.FundID, v.Participant()).Scan(&n).Error
	return n > 0, err
}

// MayTag says whether the viewer may put themes on (and take them off)
// a source: nil, ErrSourceHidden (404) or ErrMayNotTag (403).
func (s *Service) MayTag(ctx context.Context, v account.Viewer, accountID int64, key string, dialogueID int64) error {
	if dialogueID != 0 {
		ok, err := s.takesPart(ctx, v, dialogueID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrSourceHidden
		}
		return nil
	}
	return s.mayTagAccount(ctx, v, accountID, key)
}

// Tag puts one of the fund's curated themes on a source the viewer may
// tag.
func (s *Service) Tag(ctx context.Context, v account.Viewer, in NewTag) (Tag, error) {
	if err := validate.Struct(in); err != nil {
		return Tag{}, err
	}
	switch {
	case in.DialogueID != 0 && (in.AccountID != 0 || in.SectionKey != ""):
		return Tag{}, validate.Field("dialogue_id", "name a dialogue, or an account and one of its sections, not both")
	case in.DialogueID == 0 && in.AccountID == 0:
		return Tag{}, validate.Field("account_id", "is required, with section_key, unless you name a dialogue_id")
	case in.AccountID != 0 && in.SectionKey == "":
		return Tag{}, validate.Field("section_key", "is required with account_id")
	}
	th, err := s.Theme(ctx, in.ThemeID)
	if err != nil || th.FundID != v.FundID || !th.Sees(v.UserID, false) {
		return Tag{}, validate.Field("theme_id", "is not a theme of this fund")
	}
	if th.Status != Curated {
		return Tag{}, validate.Field("theme_id", "is not in use: only themes the stewards have accepted can be put on sources")
	}
	if err := s.MayTag(ctx, v, in.AccountID, in.SectionKey, in.DialogueID); err != nil {
		return Tag{}, err
	}
	var id int64
	err = store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		var key any
		if in.SectionKey != "" {
			key = in.SectionKey
		}
		if err := tx.Raw(`INSERT INTO theme_tags (fund_id, theme_id, account_id, section_key, dialogue_id, tagged_by)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, v.FundID, in.ThemeID, nullID(in.AccountID), key, nullID(in.DialogueID),
			nullID(v.UserID)).Scan(&id).Error; err != nil {
			if store.IsUniqueViolation(err, "") {
				return ErrTagged
			}
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: v.UserID, Action: "theme.tag", ObjectType: "theme_tag",
			ObjectID: id, FundID: v.FundID, Changes: map[string]any{"theme_id": in.ThemeID, "account_id": in.AccountID,
				"section_key": in.SectionKey, "dialogue_id": in.DialogueID}})
	})
	if err != nil {
		return Tag{}, err
	}
	return s.TagByID(ctx, id)
}

// Untag takes a theme off a source; the viewer must be one who may tag
// it. A tag on a source they cannot read is not found.
func (s *Service) Untag(ctx context.Context, v account.Viewer, id int64) error {
	t, err := s.TagByID(ctx, id)
	if err != nil {
		return err
	}
	if t.FundID != v.FundID {
		return ErrTagNotFound
	}
	var acc, dlg int64
	var key string
	if t.AccountID != nil {
		acc, key = *t.AccountID, *t.SectionKey
	}
	if t.DialogueID != nil {
		dlg = *t.DialogueID
	}
	if err := s.MayTag(ctx, v, acc, key, dlg); err != nil {
		if fe, ok := fault.As(err); ok && fe.Kind == fault.NotFound {
			return ErrTagNotFound
		}
		return err
	}
	return store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Exec(`DELETE FROM theme_tags WHERE id = ?`, id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: v.UserID, Action: "theme.untag", ObjectType: "theme_tag",
			ObjectID: id, FundID: t.FundID, Changes: map[string]any{"theme_id": t.ThemeID, "account_id": acc,
				"section_key": key, "dialogue_id": dlg}})
	})
}

// ReadableSections lists the keys of an account's sections the viewer
// may read, in the accounts' order: what a tagging page offers.
func (s *Service) ReadableSections(ctx context.Context, v account.Viewer, accountID int64) ([]string, error) {
	args := v.Args()
	args["account"] = accountID
	var keys []string
	if err := store.Conn(ctx, s.db).Raw(`SELECT vs.section_key FROM (`+account.VisibleSections+`) vs WHERE vs.account_id = @account`,
		args).Scan(&keys).Error; err != nil {
		return nil, err
	}
	out := make([]string, 0, len(keys))
	for _, k := range account.SectionKeys {
		if slices.Contains(keys, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// TagsOn lists the tags of curated themes on an account's sections, or on
// a dialogue (accountID 0).
func (s *Service) TagsOn(ctx context.Context, accountID, dialogueID int64) ([]Tag, error) {
	var ts []Tag
	q := store.Conn(ctx, s.db)
	var err error
	if accountID != 0 {
		err = q.Raw(tagSelect+` WHERE account_id = ? AND theme_id IN (SELECT id FROM themes WHERE status = 'curated') ORDER BY id`, accountID).Scan(&ts).Error
	} else {
		err = q.Raw(tagSelect+` WHERE dialogue_id = ? AND theme_id IN (SELECT id FROM themes WHERE status = 'curated') ORDER BY id`, dialogueID).Scan(&ts).Error
	}
	return ts, err
}

// DialogueRef is what a tagging page needs of a dialogue.
type DialogueRef struct {
	ID      int64
	FundID  int64
	Purpose string
	MeetsOn time.Time
}

// Dialogue reads a dialogue for its tagging page; the caller checks the
// viewer takes part (MayTag) before showing anything of it.
func (s *Service) Dialogue(ctx context.Context, id int64) (DialogueRef, error) {
	var ds []DialogueRef
	if err := store.Conn(ctx, s.db).Raw(`SELECT id, fund_id, purpose, meets_on FROM dialogues WHERE id = ?`, id).Scan(&ds).Error; err != nil {
		return DialogueRef{}, err
	}
	if len(ds) == 0 {
		return DialogueRef{}, ErrSourceHidden
	}
	return ds[0], nil
}

// Retag is what a tagging form asks of one source: the themes ticked
// (Want), and those that were ticked when the form was shown (Shown).
type Retag struct {
	Source NewTag // the account section or dialogue; ThemeID unused
	Want   map[int64]bool
	Shown  map[int64]bool
}

// SetTags applies a tagging form in one transaction: each source gains
// the themes ticked and loses those that were ticked when the form was
// shown and are not now. A tag someone else put on since the form was
// shown stays, and any refusal changes nothing at all.
func (s *Service) SetTags(ctx context.Context, v account.Viewer, changes []Retag) error {
	return store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		for _, ch := range changes {
			// One tagging form at a time per source, so that what is
			// read here is what the inserts below meet.
			lock := `SELECT id FROM reflective_accounts WHERE id = ? FOR UPDATE`
			id := ch.Source.AccountID
			if id == 0 {
				lock, id = `SELECT id FROM dialogues WHERE id = ? FOR UPDATE`, ch.Source.DialogueID
			}
			if err := tx.Exec(lock, id).Error; err != nil {
				return err
			}
			tags, err := s.TagsOn(ctx, ch.Source.AccountID, ch.Source.DialogueID)
			if err != nil {
				return err
			}
			had := map[int64]bool{}
			for _, t := range tags {
				if ch.Source.AccountID != 0 && (t.SectionKey == nil || *t.SectionKey != ch.Source.SectionKey) {
					continue
				}
				had[t.ThemeID] = true
				if ch.Shown[t.ThemeID] && !ch.Want[t.ThemeID] {
					if err := s.Untag(ctx, v, t.ID); err != nil {
						return err
					}
				}
			}
			ids := make([]int64, 0, len(ch.Want))
			for id := range ch.Want {
				if !had[id] {
					ids = append(ids, id)
				}
			}
			slices.Sort(ids)
			for _, id := range ids {
				in := ch.Source
				in.ThemeID = id
				if _, err := s.Tag(ctx, v, in); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
