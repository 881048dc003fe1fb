// Package synthesis holds a fund's learning syntheses: what the stewards
// and learning partners make, every so often, of what the fund has been
// learning, citing themes and the sources behind them (sections of
// submitted accounts and published reflections, and dialogues).
//
// A synthesis is a draft while it is written (edits name the version they
// started from) and is then published to the fund's public page; a
// published synthesis never changes (the database refuses it). Citations
// are pointers: each reader is shown only the cited sources they may read
// themselves (account sections by account.Service.CanRead, dialogues by
// taking part in them without declining; themes always), and nobody may
// cite a source they cannot read.
package synthesis

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// Statuses of a synthesis.
const (
	Draft     = "draft"
	Published = "published"
)

// StatusNames say the statuses in words.
var StatusNames = map[string]string{Draft: "Draft", Published: "Published"}

// Kinds of citation.
const (
	CitesTheme    = "theme"
	CitesSection  = "section"
	CitesAccount  = "account"
	CitesDialogue = "dialogue"
)

// Errors of this domain.
var (
	ErrNotFound = fault.NotFoundf("synthesis not found")
	ErrFrozen   = fault.Conflictf("a published synthesis never changes; write a new one")
)

// CitationInput names one thing a synthesis cites: a theme, an account
// (or one section of it), or a dialogue.
type CitationInput struct {
	ThemeID    int64  `json:"theme_id,omitempty" validate:"omitempty,gt=0"`
	AccountID  int64  `json:"account_id,omitempty" validate:"omitempty,gt=0"`
	SectionKey string `json:"section_key,omitempty" validate:"omitempty,oneof=context_changed what_we_tried what_happened not_as_hoped what_we_learnt what_we_will_change what_we_need signal_readings"`
	DialogueID int64  `json:"dialogue_id,omitempty" validate:"omitempty,gt=0"`
}

// Input is a synthesis as written.
type Input struct {
	Title       string          `json:"title" validate:"notblank,max=200"`
	Body        string          `json:"body" validate:"max=50000"`
	PeriodStart string          `json:"period_start" validate:"required,datetime=2006-01-02"`
	PeriodEnd   string          `json:"period_end" validate:"required,datetime=2006-01-02"`
	Citations   []CitationInput `json:"citations" validate:"max=50,dive"`
}

// Edit changes a draft; Version is the one the edit started from.
type Edit struct {
	Version int `json:"version" validate:"required,gt=0"`
	Input
}

// Citation is a cited source as one reader may see it.
type Citation struct {
	Kind       string  `json:"kind"`
	ThemeID    *int64  `json:"theme_id"`
	AccountID  *int64  `json:"account_id"`
	SectionKey *string `json:"section_key"`
	DialogueID *int64  `json:"dialogue_id"`
	// Title says what is cited, in words; Link is where to read it.
	Title string `json:"title"`
	Link  string `json:"link"`
}

// Synthesis is one synthesis as a reader sees it.
type Synthesis struct {
	ID          int64      `json:"id"`
	FundID      int64      `json:"fund_id"`
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	PeriodStart string     `json:"period_start"`
	PeriodEnd   string     `json:"period_end"`
	Status      string     `json:"status"`
	Version     int        `json:"version"`
	AuthorID    *int64     `json:"author_id"`
	AuthorName  string     `json:"author_name"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	PublishedAt *time.Time `json:"published_at"`
	Citations   []Citation `json:"citations" gorm:"-"`
}

// Service is the syntheses domain's entry point.
type Service struct {
	db       *gorm.DB
	accounts *account.Service
}

// NewService returns a Service on db; accounts answers who may read a
// cited section.
func NewService(db *gorm.DB, accounts *account.Service) *Service {
	return &Service{db: db, accounts: accounts}
}

const selectSynthesis = `SELECT y.id, y.fund_id, y.title, y.body, to_char(y.period_start, 'YYYY-MM-DD') AS period_start,
	to_char(y.period_end, 'YYYY-MM-DD') AS period_end, y.status, y.version, y.author_id, COALESCE(u.display_name, '') AS author_name,
	y.created_at, y.updated_at, y.published_at
	FROM syntheses y LEFT JOIN users u ON u.id = y.author_id`

// Meta returns a synthesis without its citations, whoever asks: for
// authorization only.
func (s *Service) Meta(ctx context.Context, id int64) (Synthesis, error) {
	return s.meta(ctx, id, "")
}

func (s *Service) meta(ctx context.Context, id int64, lock string) (Synthesis, error) {
	var ys []Synthesis
	if err := store.Conn(ctx, s.db).Raw(selectSynthesis+` WHERE y.id = ?`+lock, id).Scan(&ys).Error; err != nil {
		return Synthesis{}, err
	}
	if len(ys) == 0 {
		return Synthesis{}, ErrNotFound
	}
	ys[0].utc()
	return ys[0], nil
}

func (y *Synthesis) utc() {
	y.CreatedAt, y.UpdatedAt = y.CreatedAt.UTC(), y.UpdatedAt.UTC()
	if y.PublishedAt != nil {
		t := y.PublishedAt.UTC()
		y.PublishedAt = &t
	}
}

// Get returns the synthesis as v may read it: a draft only when drafts
// (the reader is one of the fund's stewards or learning partners), and
// only the citations v may read.
func (s *Service) Get(ctx context.Context, v account.Viewer, id int64, drafts bool) (Synthesis, error) {
	y, err := s.Meta(ctx, id)
	if err != nil {
		return y, err
	}
	if y.FundID != v.FundID || (y.Status == Draft && !drafts) {
		return Synthesis{}, ErrNotFound
	}
	y.Citations, err = s.citations(ctx, v, id)
	return y, err
}

// List returns a page of the fund's syntheses, newest first: published
// ones, and drafts too when drafts.
func (s *Service) List(ctx context.Context, fundID int64, drafts bool, offset, limit int) ([]Synthesis, int64, error) {
	var total int64
	where := `y.fund_id = ? AND (y.status = 'published' OR ?)`
	if err := store.Conn(ctx, s.db).Raw(`SELECT count(*) FROM syntheses y WHERE `+where, fundID, drafts).Scan(&total).Error; err != nil {
		return nil, 0, err
	}
	var ys []Synthesis
	if err := store.Conn(ctx, s.db).Raw(selectSynthesis+` WHERE `+where+`
		ORDER BY y.status = 'draft' DESC, COALESCE(y.published_at, y.updated_at) DESC, y.id DESC LIMIT ? OFFSET ?`,
		fundID, drafts, limit, offset).Scan(&ys).Error; err != nil {
		return nil, 0, err
	}
	for i := range ys {
		ys[i].utc()
		ys[i].Citations = []Citation{}
	}
	return ys, total, nil
}

type citationRow struct {
	Position        int
	ThemeID         *int64
	AccountID       *int64
	SectionKey      *string
	DialogueID      *int64
	ThemeName       *string
	ThemeStatus     *string
	AccountKind     *string
	OrgName         *string
	DialoguePurpose *string
	Participant     bool
}

// citations reads a synthesis's citations and keeps those v may read.
func (s *Service) citations(ctx context.Context, v account.Viewer, id int64) ([]Citation, error) {
	var rows []citationRow
	if err := store.Conn(ctx, s.db).Raw(`SELECT c.position, c.theme_id, c.account_id, c.section_key, c.dialogue_id,
			t.name AS theme_name, t.status AS theme_status, a.kind AS account_kind, o.name AS org_name, d.purpose AS dialogue_purpose,
			EXISTS (SELECT 1 FROM dialogue_participants dp WHERE dp.dialogue_id = c.dialogue_id AND dp.user_id = ?
				AND dp.status <> 'declined') AS participant
		FROM synthesis_citations c
		LEFT JOIN themes t ON t.id = c.theme_id
		LEFT JOIN reflective_accounts a ON a.id = c.account_id LEFT JOIN organisations o ON o.id = a.organisation_id
		LEFT JOIN dialogues d ON d.id = c.dialogue_id
		WHERE c.synthesis_id = ? ORDER BY c.position`, v.Participant(), id).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := []Citation{}
	for _, r := range rows {
		switch {
		case r.ThemeID != nil:
			// A suggestion is seen by its suggester and the stewards
			// only: never shown through a synthesis, even one that
			// cited it before this was checked.
			if deref(r.ThemeStatus) == "suggested" {
				continue
			}
			out = append(out, Citation{Kind: CitesTheme, ThemeID: r.ThemeID, Title: "Theme: " + deref(r.ThemeName),
				Link: fmt.Sprintf("/funds/%d/patterns/%d", v.FundID, *r.ThemeID)})
		case r.AccountID != nil:
			ok, err := s.accounts.CanRead(ctx, v, *r.AccountID, deref(r.SectionKey))
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, accountCitation(*r.AccountID, r.SectionKey, deref(r.AccountKind), deref(r.OrgName)))
			}
		case r.DialogueID != nil && r.Participant && v.Participant() != 0:
			out = append(out, Citation{Kind: CitesDialogue, DialogueID: r.DialogueID, Title: "Dialogue: " + deref(r.DialoguePurpose),
				Link: fmt.Sprintf("/dialogues/%d", *r.DialogueID)})
		}
	}
	return out, nil
}

func accountCitation(accountID int64, key *string, kind, org string) Citation {
	c := Citation{Kind: CitesAccount, AccountID: &accountID, SectionKey: key}
	base := "/accounts/"
	c.Title = "Reflective account from " + org
	if kind == account.Funder {
		base, c.Title = "/reflections/", "The funder's reflection"
	}
	c.Link = fmt.Sprintf("%s%d", base, accountID)
	if key != nil {
		c.Kind = CitesSection
		c.Title += ": " + account.SectionTitle(kind, *key)
		c.Link += "#s-" + *key
	}
	return c
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (in *Input) trim() {
	in.Title, in.Body = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	in.PeriodStart, in.PeriodEnd = strings.TrimSpace(in.PeriodStart), strings.TrimSpace(in.PeriodEnd)
}

// check validates the input and that the author (v) may read every
// citation: one they cannot is refused as if it did not exist.
func (s *Service) check(ctx context.Context, v account.Viewer, in Input) error {
	if err := validate.Struct(in); err != nil {
		return err
	}
	if in.PeriodEnd < in.PeriodStart {
		return validate.Field("period_end", "must be on or after period_start")
	}
	seen := map[CitationInput]bool{}
	for i, c := range in.Citations {
		field := fmt.Sprintf("citations[%d]", i)
		n := 0
		for _, id := range []int64{c.ThemeID, c.AccountID, c.DialogueID} {
			if id != 0 {
				n++
			}
		}
		if n != 1 || (c.SectionKey != "" && c.AccountID == 0) {
			return validate.Field(field, "must name one theme_id, account_id (with a section_key, if you like) or dialogue_id")
		}
		if seen[c] {
			return validate.Field(field, "is cited twice")
		}
		seen[c] = true
		ok, err := s.mayCite(ctx, v, c)
		if err != nil {
			return err
		}
		if !ok {
			return validate.Field(field, "is not a source of this fund you can read")
		}
	}
	return nil
}

func (s *Service) mayCite(ctx context.Context, v account.Viewer, c CitationInput) (bool, error) {
	db := store.Conn(ctx, s.db)
	var n int64
	switch {
	case c.ThemeID != 0:
		err := db.Raw(`SELECT count(*) FROM themes WHERE id = ? AND fund_id = ? AND status = 'curated'`, c.ThemeID, v.FundID).Scan(&n).Error
		return n > 0, err
	case c.AccountID != 0:
		return s.accounts.CanRead(ctx, v, c.AccountID, c.SectionKey)
	}
	err := db.Raw(`SELECT count(*) FROM dialogues d JOIN dialogue_participants dp ON dp.dialogue_id = d.id
		WHERE d.id = ? AND d.fund_id = ? AND dp.user_id = ? AND dp.status <> 'declined'`, c.DialogueID, v.FundID, v.Participant()).Scan(&n).Error
	return n > 0 && v.Participant() != 0, err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func (s *Service) writeCitations(ctx context.Context, tx *gorm.DB, id int64, cs []CitationInput) error {
	if err := tx.Exec(`DELETE FROM synthesis_citations WHERE synthesis_id = ?`, id).Error; err != nil {
		return err
	}
	for i, c := range cs {
		var key any
		if c.SectionKey != "" {
			key = c.SectionKey
		}
		if err := tx.Exec(`INSERT INTO synthesis_citations (synthesis_id, position, theme_id, account_id, section_key, dialogue_id)
			VALUES (?, ?, ?, ?, ?, ?)`, id, i+1, nullID(c.ThemeID), nullID(c.AccountID), key, nullID(c.DialogueID)).Error; err != nil {
			return err
		}
	}
	return nil
}

// Create writes a new draft in v's fund, by v.
func (s *Service) Create(ctx context.Context, v account.Viewer, in Input) (Synthesis, error) {
	in.trim()
	if err := s.check(ctx, v, in); err != nil {
		return Synthesis{}, err
	}
	var id int64
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Raw(`INSERT INTO syntheses (fund_id, title, body, period_start, period_end, author_id)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, v.FundID, in.Title, in.Body, in.PeriodStart, in.PeriodEnd, nullID(v.UserID)).
			Scan(&id).Error; err != nil {
			return err
		}
		if err := s.writeCitations(ctx, tx, id, in.Citations); err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: v.UserID, Action: "synthesis.create", ObjectType: "synthesis",
			ObjectID: id, FundID: v.FundID, Changes: map[string]any{"title": in.Title, "citations": len(in.Citations)}})
	})
	if err != nil {
		return Synthesis{}, err
	}
	return s.Get(ctx, v, id, true)
}

// locked reads the synthesis for change and checks it is a draft of v's
// fund at version.
func (s *Service) locked(ctx context.Context, v account.Viewer, id int64, version int) (Synthesis, error) {
	y, err := s.meta(ctx, id, " FOR UPDATE OF y")
	if err != nil {
		return y, err
	}
	switch {
	case y.FundID != v.FundID:
		return y, ErrNotFound
	case y.Status == Published:
		return y, ErrFrozen
	case version != y.Version:
		return y, fault.PreconditionFailedf("this draft was changed by someone else: you edited version %d and it is now at version %d; "+
			"nothing was saved — reload it and make your change again", version, y.Version)
	}
	return y, nil
}

// Update changes a draft, replacing its citations.
func (s *Service) Update(ctx context.Context, v account.Viewer, id int64, in Edit) (Synthesis, error) {
	in.trim()
	if err := validate.Struct(in); err != nil {
		return Synthesis{}, err
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		if _, err := s.locked(ctx, v, id, in.Version); err != nil {
			return err
		}
		if err := s.check(ctx, v, in.Input); err != nil {
			return err
		}
		// Citations the editor cannot read (another author's dialogue)
		// stay as they were: the editor never saw them, so cannot have
		// meant to drop them.
		hidden, err := s.hidden(ctx, v, id)
		if err != nil {
			return err
		}
		in.Citations = append(in.Citations, hidden...)
		if err := tx.Exec(`UPDATE syntheses SET title = ?, body = ?, period_start = ?, period_end = ?, version = version + 1,
			updated_at = now() WHERE id = ?`, in.Title, in.Body, in.PeriodStart, in.PeriodEnd, id).Error; err != nil {
			return err
		}
		if err := s.writeCitations(ctx, tx, id, in.Citations); err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: v.UserID, Action: "synthesis.update", ObjectType: "synthesis",
			ObjectID: id, FundID: v.FundID, Changes: map[string]any{"version": in.Version + 1, "citations": len(in.Citations)}})
	})
	if err != nil {
		return Synthesis{}, err
	}
	return s.Get(ctx, v, id, true)
}

// hidden are the citations of a synthesis v may not read.
func (s *Service) hidden(ctx context.Context, v account.Viewer, id int64) ([]CitationInput, error) {
	var rows []CitationInput
	if err := store.Conn(ctx, s.db).Raw(`SELECT COALESCE(theme_id, 0) AS theme_id, COALESCE(account_id, 0) AS account_id,
		COALESCE(section_key, '') AS section_key, COALESCE(dialogue_id, 0) AS dialogue_id
		FROM synthesis_citations WHERE synthesis_id = ? ORDER BY position`, id).Scan(&rows).Error; err != nil {
		return nil, err
	}
	var out []CitationInput
	for _, c := range rows {
		ok, err := s.mayCite(ctx, v, c)
		if err != nil {
			return nil, err
		}
		if !ok && c.ThemeID == 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

// Publish shares the draft at version on the fund's public page, for good.
func (s *Service) Publish(ctx context.Context, v account.Viewer, id int64, version int) (Synthesis, error) {
	if version <= 0 {
		return Synthesis{}, validate.Field("version", "is required and must be more than 0")
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		if _, err := s.locked(ctx, v, id, version); err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE syntheses SET status = 'published', published_by = ?, published_at = now(), updated_at = now(),
			version = version + 1 WHERE id = ?`, nullID(v.UserID), id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: v.UserID, Action: "synthesis.publish", ObjectType: "synthesis",
			ObjectID: id, FundID: v.FundID})
	})
	if err != nil {
		return Synthesis{}, err
	}
	return s.Get(ctx, v, id, true)
}

// Choice is a source an author may cite.
type Choice struct {
	Citation
	// Value names it in a form: theme:ID, section:ACCOUNT:KEY or
	// dialogue:ID.
	Value string `json:"value"`
}

// Sources lists what v may cite: the fund's curated themes, every
// section v may read, and the dialogues v takes part in.
func (s *Service) Sources(ctx context.Context, v account.Viewer) ([]Choice, error) {
	db := store.Conn(ctx, s.db)
	var out []Choice
	var themes []struct {
		ID   int64
		Name string
	}
	if err := db.Raw(`SELECT id, name FROM themes WHERE fund_id = ? AND status = 'curated' ORDER BY lower(name)`, v.FundID).
		Scan(&themes).Error; err != nil {
		return nil, err
	}
	for _, t := range themes {
		id := t.ID
		out = append(out, Choice{Citation: Citation{Kind: CitesTheme, ThemeID: &id, Title: "Theme: " + t.Name,
			Link: fmt.Sprintf("/funds/%d/patterns/%d", v.FundID, t.ID)},
			Value: fmt.Sprintf("theme:%d", t.ID)})
	}
	var secs []struct {
		AccountID  int64
		SectionKey string
		Kind       string
		OrgName    string
	}
	if err := db.Raw(`SELECT vs.account_id, vs.section_key, vs.kind, o.name AS org_name FROM (`+account.VisibleSections+`) vs
		JOIN organisations o ON o.id = vs.organisation_id ORDER BY vs.period_end DESC, vs.account_id DESC LIMIT 2000`, v.Args()).
		Scan(&secs).Error; err != nil {
		return nil, err
	}
	order := map[string]int{}
	for i, k := range account.SectionKeys {
		order[k] = i
	}
	// Sections in their order within each account.
	for i := 0; i < len(secs); {
		j := i
		for j < len(secs) && secs[j].AccountID == secs[i].AccountID {
			j++
		}
		group := secs[i:j]
		for a := 1; a < len(group); a++ {
			for b := a; b > 0 && order[group[b].SectionKey] < order[group[b-1].SectionKey]; b-- {
				group[b], group[b-1] = group[b-1], group[b]
			}
		}
		for _, sec := range group {
			key := sec.SectionKey
			out = append(out, Choice{Citation: accountCitation(sec.AccountID, &key, sec.Kind, sec.OrgName),
				Value: fmt.Sprintf("section:%d:%s", sec.AccountID, key)})
		}
		i = j
	}
	if v.Participant() != 0 {
		var ds []struct {
			ID      int64
			Purpose string
		}
		if err := db.Raw(`SELECT d.id, d.purpose FROM dialogues d JOIN dialogue_participants dp ON dp.dialogue_id = d.id
			WHERE d.fund_id = ? AND dp.user_id = ? AND dp.status <> 'declined' ORDER BY d.meets_on DESC, d.id DESC`, v.FundID, v.Participant()).
			Scan(&ds).Error; err != nil {
			return nil, err
		}
		for _, d := range ds {
			id := d.ID
			out = append(out, Choice{Citation: Citation{Kind: CitesDialogue, DialogueID: &id, Title: "Dialogue: " + d.Purpose,
				Link: fmt.Sprintf("/dialogues/%d", d.ID)}, Value: fmt.Sprintf("dialogue:%d", d.ID)})
		}
	}
	return out, nil
}

// Value names a citation as Choice.Value does.
func Value(c CitationInput) string {
	switch {
	case c.ThemeID != 0:
		return fmt.Sprintf("theme:%d", c.ThemeID)
	case c.DialogueID != 0:
		return fmt.Sprintf("dialogue:%d", c.DialogueID)
	case c.SectionKey != "":
		return fmt.Sprintf("section:%d:%s", c.AccountID, c.SectionKey)
	}
	return fmt.Sprintf("account:%d", c.AccountID)
}

// ParseValue reads a Choice.Value back.
func ParseValue(s string) (CitationInput, bool) {
	var c CitationInput
	kind, rest, _ := strings.Cut(s, ":")
	var err error
	switch kind {
	case "theme":
		_, err = fmt.Sscanf(rest, "%d", &c.ThemeID)
	case "dialogue":
		_, err = fmt.Sscanf(rest, "%d", &c.DialogueID)
	case "account":
		_, err = fmt.Sscanf(rest, "%d", &c.AccountID)
	case "section":
		id, key, ok := strings.Cut(rest, ":")
		if !ok {
			return c, false
		}
		_, err = fmt.Sscanf(id, "%d", &c.AccountID)
		c.SectionKey = key
	default:
		return c, false
	}
	return c, err == nil
}

// CitationInputs are the citations of a synthesis as written (for the
// edit form): only those v may still read, so nobody learns of the rest.
func (s *Service) CitationInputs(ctx context.Context, v account.Viewer, id int64) ([]CitationInput, error) {
	cs, err := s.citations(ctx, v, id)
	if err != nil {
		return nil, err
	}
	out := make([]CitationInput, len(cs))
	for i, c := range cs {
		if c.ThemeID != nil {
			out[i].ThemeID = *c.ThemeID
		}
		if c.AccountID != nil {
			out[i].AccountID = *c.AccountID
		}
		if c.SectionKey != nil {
			out[i].SectionKey = *c.SectionKey
		}
		if c.DialogueID != nil {
			out[i].DialogueID = *c.DialogueID
		}
	}
	return out, nil
}
