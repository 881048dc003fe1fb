// Package agreement keeps learning agreements: one per grant, written
// together by the fund's stewards and the grantee, in numbered versions.
//
// A version is a draft while both sides edit it. Every edit names the
// revision it started from: an edit made from an older revision is
// refused (412) with both texts, and nothing is overwritten. Each side
// signs (a steward for the funder, a member of the grantee organisation
// for the grantee), and a signature records who, when and the sha256 of
// the content's canonical form. Once both sides have signed the same
// revision the version is signed and never changes again (the database
// refuses it). An edit after one side has signed leaves that signature
// behind on the older revision, so it no longer counts and the side signs
// again. Renegotiating starts the next version as a draft copied from the
// latest signed one. Every version stays readable, and any version can be
// compared with the one before.
//
// Learning signals have a name, what they tell us, what they do not, who
// collects them and how often: never a target, threshold, score or rating.
//
// Authorization is the caller's (the HTTP edge asks the authorizer); what
// holds whoever asks — who may sign which side, that a signed version never
// changes, that an edit starts from the current revision — is kept here.
package agreement

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/money"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// Version statuses.
const (
	Draft  = "draft"
	Signed = "signed"
)

// Sides that sign.
const (
	Funder  = "funder"
	Grantee = "grantee"
)

// Errors of this domain.
var (
	ErrGrantNotFound = fault.NotFoundf("grant not found")
	ErrNoAgreement   = fault.NotFoundf("this grant has no learning agreement yet")
	ErrNoVersion     = fault.NotFoundf("the agreement has no such version")
	ErrExists        = fault.Conflictf("this grant already has a learning agreement")
	ErrNoDraft       = fault.Conflictf("every version of this agreement is signed, and a signed version never changes; start renegotiating to write a new draft")
)

// StaleError is an edit or a signature made from a revision that is no
// longer the current one: nothing was changed. It carries both: what was
// sent and the draft as it is now.
type StaleError struct {
	Yours   any      `json:"yours"`
	Current *Version `json:"current"`
	msg     string
}

func (e *StaleError) Error() string { return e.msg }

// Unwrap makes a StaleError a 412 wherever errors are mapped.
func (e *StaleError) Unwrap() error { return fault.PreconditionFailedf("%s", e.msg) }

// Service is the agreement domain's entry point.
type Service struct {
	db *gorm.DB
}

// NewService returns a Service on db.
func NewService(db *gorm.DB) *Service { return &Service{db: db} }

// Grant is what agreements need to know of a grant.
type Grant struct {
	ID               int64  `json:"id"`
	FundID           int64  `json:"fund_id"`
	FundName         string `json:"fund_name"`
	OrganisationID   int64  `json:"organisation_id"`
	OrganisationName string `json:"organisation_name"`
	ApplicationID    int64  `json:"application_id"`
	Title            string `json:"title"`
	AmountMinor      int64  `json:"amount_minor"`
	Currency         string `json:"currency"`
	StartsOn         string `json:"starts_on"`
	EndsOn           string `json:"ends_on"`
}

// Grant returns a grant as agreements see it.
func (s *Service) Grant(ctx context.Context, id int64) (Grant, error) {
	var gs []Grant
	if err := store.Conn(ctx, s.db).Raw(`SELECT g.id, g.fund_id, f.name AS fund_name, g.organisation_id, o.name AS organisation_name,
			g.application_id, g.title, g.amount_minor, f.currency,
			to_char(g.starts_on, 'YYYY-MM-DD') AS starts_on, to_char(g.ends_on, 'YYYY-MM-DD') AS ends_on
		FROM grants g JOIN funds f ON f.id = g.fund_id JOIN organisations o ON o.id = g.organisation_id
		WHERE g.id = ?`, id).Scan(&gs).Error; err != nil {
		return Grant{}, err
	}
	if len(gs) == 0 {
		return Grant{}, ErrGrantNotFound
	}
	return gs[0], nil
}

// Signature is one side's signature on a revision of a version.
type Signature struct {
	Side        string    `json:"side"`
	UserID      int64     `json:"user_id"`
	Name        string    `json:"name"`
	Revision    int       `json:"revision"`
	ContentHash string    `json:"content_hash"`
	SignedAt    time.Time `json:"signed_at"`
}

// Version is one version of an agreement.
type Version struct {
	Number      int        `json:"number"`
	Status      string     `json:"status"`
	Revision    int        `json:"revision"`
	BasedOn     *int       `json:"based_on"`
	Content     Content    `json:"content"`
	ContentHash string     `json:"content_hash"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	SignedAt    *time.Time `json:"signed_at"`
	// Signatures are those on the current revision: both once signed.
	Signatures []Signature `json:"signatures"`
	// ETag names this revision of this version, for If-Match.
	ETag string `json:"etag"`

	id int64
}

// SignedBy returns the signature of a side on the current revision.
func (v Version) SignedBy(side string) *Signature {
	for i := range v.Signatures {
		if v.Signatures[i].Side == side {
			return &v.Signatures[i]
		}
	}
	return nil
}

// ETagOf names a revision of a version: "v2.r5".
func ETagOf(number, revision int) string { return fmt.Sprintf(`"v%d.r%d"`, number, revision) }

// ParseETag reads an ETag made by ETagOf (quoted or weak).
func ParseETag(tag string) (number, revision int, ok bool) {
	tag = strings.Trim(strings.TrimPrefix(strings.TrimSpace(tag), "W/"), `"`)
	n, r, found := strings.Cut(strings.TrimPrefix(tag, "v"), ".r")
	if !found || !strings.HasPrefix(tag, "v") {
		return 0, 0, false
	}
	number, err1 := strconv.Atoi(n)
	revision, err2 := strconv.Atoi(r)
	return number, revision, err1 == nil && err2 == nil && number > 0 && revision > 0
}

// Agreement is a grant's agreement: its current draft, if one is being
// written, and its latest signed version, which governs.
type Agreement struct {
	ID               int64     `json:"id"`
	GrantID          int64     `json:"grant_id"`
	FundID           int64     `json:"fund_id"`
	OrganisationID   int64     `json:"organisation_id"`
	OrganisationName string    `json:"organisation_name"`
	GrantTitle       string    `json:"grant_title"`
	CreatedAt        time.Time `json:"created_at"`
	Versions         int       `json:"versions"`
	Draft            *Version  `json:"draft"`
	Signed           *Version  `json:"signed"`
	SignalsStatement string    `json:"signals_statement"`
}

type agreementRow struct {
	ID, GrantID, FundID, OrganisationID int64
	CreatedAt                           time.Time
}

func (s *Service) agreementRow(ctx context.Context, grantID int64, lock string) (*agreementRow, error) {
	var rows []agreementRow
	if err := store.Conn(ctx, s.db).Raw(`SELECT id, grant_id, fund_id, organisation_id, created_at FROM agreements WHERE grant_id = ?`+lock,
		grantID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// Get returns a grant's agreement, or ErrNoAgreement.
func (s *Service) Get(ctx context.Context, grantID int64) (Agreement, error) {
	g, err := s.Grant(ctx, grantID)
	if err != nil {
		return Agreement{}, err
	}
	row, err := s.agreementRow(ctx, grantID, "")
	if err != nil {
		return Agreement{}, err
	}
	if row == nil {
		return Agreement{}, ErrNoAgreement
	}
	a := Agreement{ID: row.ID, GrantID: g.ID, FundID: g.FundID, OrganisationID: g.OrganisationID, OrganisationName: g.OrganisationName,
		GrantTitle: g.Title, CreatedAt: row.CreatedAt.UTC(), SignalsStatement: SignalsStatement}
	vs, err := s.versions(ctx, row.ID, 0, "")
	if err != nil {
		return Agreement{}, err
	}
	a.Versions = len(vs)
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		if v.Status == Draft && a.Draft == nil {
			a.Draft = &v
		}
		if v.Status == Signed && a.Signed == nil {
			a.Signed = &v
		}
	}
	return a, nil
}

type versionRow struct {
	ID          int64
	Number      int
	Status      string
	Revision    int
	BasedOn     *int
	Content     string
	ContentHash string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	SignedAt    *time.Time
}

// versions reads an agreement's versions (all, or the one numbered),
// oldest first, with their current signatures.
func (s *Service) versions(ctx context.Context, agreementID int64, number int, lock string) ([]Version, error) {
	q := `SELECT id, number, status, revision, based_on, content::text AS content, content_hash, created_at, updated_at, signed_at
		FROM agreement_versions WHERE agreement_id = ?`
	args := []any{agreementID}
	if number > 0 {
		q += ` AND number = ?`
		args = append(args, number)
	}
	var rows []versionRow
	if err := store.Conn(ctx, s.db).Raw(q+` ORDER BY number`+lock, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Version, len(rows))
	for i, r := range rows {
		v := Version{id: r.ID, Number: r.Number, Status: r.Status, Revision: r.Revision, BasedOn: r.BasedOn,
			ContentHash: r.ContentHash, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), ETag: ETagOf(r.Number, r.Revision),
			Signatures: []Signature{}}
		if r.SignedAt != nil {
			t := r.SignedAt.UTC()
			v.SignedAt = &t
		}
		if err := json.Unmarshal([]byte(r.Content), &v.Content); err != nil {
			return nil, fmt.Errorf("agreement version %d: %w", r.ID, err)
		}
		v.Content.Normalise()
		if err := store.Conn(ctx, s.db).Raw(`SELECT s.side, s.user_id, u.display_name AS name, s.revision, s.content_hash, s.signed_at
			FROM agreement_signatures s JOIN users u ON u.id = s.user_id
			WHERE s.version_id = ? AND s.revision = ? ORDER BY s.signed_at, s.side`, r.ID, r.Revision).Scan(&v.Signatures).Error; err != nil {
			return nil, err
		}
		for j := range v.Signatures {
			v.Signatures[j].SignedAt = v.Signatures[j].SignedAt.UTC()
		}
		out[i] = v
	}
	return out, nil
}

// Versions lists every version of a grant's agreement, oldest first.
func (s *Service) Versions(ctx context.Context, grantID int64) ([]Version, error) {
	if _, err := s.Grant(ctx, grantID); err != nil {
		return nil, err
	}
	row, err := s.agreementRow(ctx, grantID, "")
	if err != nil {
		return nil, err
	}
	if row == nil {
		return nil, ErrNoAgreement
	}
	return s.versions(ctx, row.ID, 0, "")
}

// Version returns one version of a grant's agreement.
func (s *Service) Version(ctx context.Context, grantID int64, number int) (Version, error) {
	if _, err := s.Grant(ctx, grantID); err != nil {
		return Version{}, err
	}
	row, err := s.agreementRow(ctx, grantID, "")
	if err != nil {
		return Version{}, err
	}
	if row == nil {
		return Version{}, ErrNoAgreement
	}
	vs, err := s.versions(ctx, row.ID, number, "")
	if err != nil {
		return Version{}, err
	}
	if len(vs) == 0 {
		return Version{}, ErrNoVersion
	}
	return vs[0], nil
}

// Changes compares a version with the one before it (the first with an
// empty agreement).
func (s *Service) Changes(ctx context.Context, grantID int64, number int) (Changes, error) {
	after, err := s.Version(ctx, grantID, number)
	if err != nil {
		return Changes{}, err
	}
	var before Content
	before.Normalise()
	ch := Changes{Number: number}
	if number > 1 {
		prev, err := s.Version(ctx, grantID, number-1)
		if err != nil {
			return Changes{}, err
		}
		before, ch.Previous = prev.Content, prev.Number
	}
	ch.Rows = Compare(before, after.Content)
	for _, r := range ch.Rows {
		if r.Change == Same {
			ch.Unchanged++
		} else {
			ch.Changed++
		}
	}
	return ch, nil
}

// Template is the content a new agreement starts from: the fund's purpose,
// what the application set out to explore, and the money as granted.
func (s *Service) Template(ctx context.Context, g Grant) (Content, error) {
	var info []struct {
		PurposeFlourishing, PurposeWhom, PurposeWhere string
		Explore                                       string
		Instalments                                   int
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT f.purpose_flourishing, f.purpose_whom, f.purpose_where, a.explore,
			(SELECT count(*) FROM grant_instalments i WHERE i.grant_id = g.id) AS instalments
		FROM grants g JOIN funds f ON f.id = g.fund_id JOIN applications a ON a.id = g.application_id
		WHERE g.id = ?`, g.ID).Scan(&info).Error; err != nil {
		return Content{}, err
	}
	c := Content{Reflection: Reflection{Mode: Written, EveryMonths: 6}, FunderCommitments: Commitments{ResponseDays: 30}}
	if len(info) > 0 {
		in := info[0]
		c.SharedPurpose = fmt.Sprintf("To enable %s for %s in %s.", in.PurposeFlourishing, in.PurposeWhom, in.PurposeWhere)
		if strings.TrimSpace(in.Explore) != "" {
			c.Explorations = []string{in.Explore}
		}
		paid := "in one payment"
		if in.Instalments > 1 {
			paid = fmt.Sprintf("in %d instalments", in.Instalments)
		}
		c.FunderCommitments.Money = fmt.Sprintf("%s from %s to %s, paid %s. No payment depends on any measure.",
			money.Format(g.AmountMinor, g.Currency), readableDate(g.StartsOn), readableDate(g.EndsOn), paid)
	}
	if start, err := time.Parse(time.DateOnly, g.StartsOn); err == nil {
		c.RenegotiateOn = start.AddDate(0, 6, 0).Format(time.DateOnly)
	}
	c.Normalise()
	return c, nil
}

// Create starts the agreement of a grant: version 1, a draft from the
// template.
func (s *Service) Create(ctx context.Context, actorID, grantID int64) (Agreement, error) {
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		g, err := s.Grant(ctx, grantID)
		if err != nil {
			return err
		}
		row, err := s.agreementRow(ctx, grantID, "")
		if err != nil {
			return err
		}
		if row != nil {
			return ErrExists
		}
		c, err := s.Template(ctx, g)
		if err != nil {
			return err
		}
		_, err = s.create(ctx, tx, actorID, g, c)
		return err
	})
	if err != nil {
		if store.IsUniqueViolation(err, "") {
			return Agreement{}, ErrExists
		}
		return Agreement{}, err
	}
	return s.Get(ctx, grantID)
}

func (s *Service) create(ctx context.Context, tx *gorm.DB, actorID int64, g Grant, c Content) (*agreementRow, error) {
	var id int64
	if err := tx.Raw(`INSERT INTO agreements (grant_id, fund_id, organisation_id, created_by) VALUES (?, ?, ?, ?) RETURNING id`,
		g.ID, g.FundID, g.OrganisationID, nullID(actorID)).Scan(&id).Error; err != nil {
		return nil, err
	}
	if err := tx.Exec(`INSERT INTO agreement_versions (agreement_id, number, content, content_hash, created_by, updated_by)
		VALUES (?, 1, ?::jsonb, ?, ?, ?)`, id, string(c.Canonical()), c.Hash(), nullID(actorID), nullID(actorID)).Error; err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "agreement.create", ObjectType: "grant",
		ObjectID: g.ID, FundID: g.FundID, Changes: map[string]any{"agreement_id": id, "version": 1}}); err != nil {
		return nil, err
	}
	return &agreementRow{ID: id, GrantID: g.ID, FundID: g.FundID, OrganisationID: g.OrganisationID}, nil
}

// Edit is a change to the draft: the whole content, and the revision it
// was made from (0 when starting an agreement that does not exist yet).
type Edit struct {
	// Number, if set (from an If-Match ETag), is the version the edit was
	// made on: an edit of an earlier draft is stale too.
	Number   int     `json:"-"`
	Revision int     `json:"revision" validate:"min=0"`
	Content  Content `json:"content"`
}

// Edited is the draft after an edit, with the signatures the edit set
// aside: a side that had signed the old text signs again.
type Edited struct {
	Version
	Cleared []Signature `json:"cleared_signatures"`
}

// EditDraft replaces the draft's content. The edit must start from the
// draft's current revision (else a StaleError, 412, with both texts). An
// edit that changes nothing changes nothing, not even the revision; an
// edit that changes the text sets aside any signature on the old text.
// A grant without an agreement gets one, from this edit (revision 0).
func (s *Service) EditDraft(ctx context.Context, actorID, grantID int64, in Edit) (Edited, error) {
	in.Content.Normalise()
	if err := validate.Struct(in); err != nil {
		return Edited{}, err
	}
	if err := in.Content.check("content."); err != nil {
		return Edited{}, err
	}
	var out Edited
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		g, err := s.Grant(ctx, grantID)
		if err != nil {
			return err
		}
		if err := s.checkPartner(ctx, g.FundID, in.Content.LearningPartner.UserID); err != nil {
			return err
		}
		row, err := s.agreementRow(ctx, grantID, " FOR UPDATE")
		if err != nil {
			return err
		}
		if row == nil {
			if in.Revision != 0 {
				return &StaleError{Yours: in, msg: "this grant has no agreement yet, so there is no revision to edit; send revision 0 to start it"}
			}
			if _, err := s.create(ctx, tx, actorID, g, in.Content); err != nil {
				return err
			}
			return nil
		}
		vs, err := s.versions(ctx, row.ID, 0, "")
		if err != nil {
			return err
		}
		draft := draftOf(vs)
		if draft == nil {
			return ErrNoDraft
		}
		if in.Revision != draft.Revision || (in.Number != 0 && in.Number != draft.Number) {
			return &StaleError{Yours: in, Current: draft, msg: fmt.Sprintf(
				"someone else saved the draft while you were editing it (you started from revision %d; it is at revision %d now), so your changes were not saved; both are here to compare",
				in.Revision, draft.Revision)}
		}
		hash := in.Content.Hash()
		if hash == draft.ContentHash {
			out = Edited{Version: *draft, Cleared: []Signature{}}
			return nil
		}
		if err := tx.Exec(`UPDATE agreement_versions SET content = ?::jsonb, content_hash = ?, revision = revision + 1,
			updated_by = ?, updated_at = now() WHERE id = ?`, string(in.Content.Canonical()), hash, nullID(actorID), draft.id).Error; err != nil {
			return err
		}
		out.Cleared = draft.Signatures
		sides := make([]string, len(out.Cleared))
		for i, sig := range out.Cleared {
			sides[i] = sig.Side
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "agreement.edit", ObjectType: "grant",
			ObjectID: grantID, FundID: g.FundID, Changes: map[string]any{"version": draft.Number, "revision": draft.Revision + 1,
				"content_hash": hash, "signatures_set_aside": sides}})
	})
	if err != nil {
		return Edited{}, err
	}
	a, err := s.Get(ctx, grantID)
	if err != nil {
		return Edited{}, err
	}
	if out.Cleared == nil {
		out.Cleared = []Signature{}
	}
	if a.Draft != nil {
		out.Version = *a.Draft
	}
	return out, nil
}

func draftOf(vs []Version) *Version {
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].Status == Draft {
			return &vs[i]
		}
	}
	return nil
}

// hasFundRole reads a role assignment from the policy's table, in the
// caller's transaction.
func (s *Service) hasFundRole(ctx context.Context, userID int64, role string, fundID int64) (bool, error) {
	var n int64
	err := store.Conn(ctx, s.db).Raw(`SELECT count(*) FROM casbin_rule WHERE ptype = 'g' AND v0 = ? AND v1 = ? AND v2 = ?`,
		"user:"+strconv.FormatInt(userID, 10), role, "fund:"+strconv.FormatInt(fundID, 10)).Scan(&n).Error
	return n > 0, err
}

func (s *Service) checkPartner(ctx context.Context, fundID int64, userID *int64) error {
	if userID == nil {
		return nil
	}
	ok, err := s.hasFundRole(ctx, *userID, "learning_partner", fundID)
	if err != nil {
		return err
	}
	if !ok {
		return validate.Field("content.learning_partner.user_id", "must be someone who is a learning partner in this fund")
	}
	return nil
}

// IsMember reports whether a user belongs to an organisation.
func (s *Service) IsMember(ctx context.Context, userID, orgID int64) (bool, error) {
	var n int64
	err := store.Conn(ctx, s.db).Raw(`SELECT count(*) FROM organisation_members WHERE organisation_id = ? AND user_id = ?`,
		orgID, userID).Scan(&n).Error
	return n > 0, err
}

// SideOf says which side a person signs for on a grant: the grantee's if
// they belong to the grantee organisation, else the funder's.
func (s *Service) SideOf(ctx context.Context, userID int64, g Grant) (string, error) {
	member, err := s.IsMember(ctx, userID, g.OrganisationID)
	if err != nil {
		return "", err
	}
	if member {
		return Grantee, nil
	}
	return Funder, nil
}

// Signing asks to sign the draft at the revision that was read.
type Signing struct {
	Number   int `json:"-"` // as in Edit
	Revision int `json:"revision" validate:"min=0"`
}

// Sign signs the draft for one side: the grantee's side by a member of
// the grantee organisation, the funder's by a steward of the fund who is
// not. The signature records who, when, and the hash of the text as it is
// at that revision. When both sides have signed the same revision, the
// version is signed and never changes again.
func (s *Service) Sign(ctx context.Context, actorID, grantID int64, side string, in Signing) (Version, error) {
	if side != Funder && side != Grantee {
		return Version{}, validate.Field("side", "must be funder or grantee")
	}
	var number int
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		g, err := s.Grant(ctx, grantID)
		if err != nil {
			return err
		}
		member, err := s.IsMember(ctx, actorID, g.OrganisationID)
		if err != nil {
			return err
		}
		switch {
		case side == Grantee && !member:
			return fault.Forbiddenf("only a member of %s signs for the grantee", g.OrganisationName)
		case side == Funder && member:
			return fault.Forbiddenf("you belong to %s, so you sign for the grantee, not for the funder", g.OrganisationName)
		case side == Funder:
			ok, err := s.hasFundRole(ctx, actorID, "steward", g.FundID)
			if err != nil {
				return err
			}
			if !ok {
				return fault.Forbiddenf("only a steward of the fund signs for the funder")
			}
		}
		row, err := s.agreementRow(ctx, grantID, " FOR UPDATE")
		if err != nil {
			return err
		}
		if row == nil {
			return ErrNoAgreement
		}
		vs, err := s.versions(ctx, row.ID, 0, "")
		if err != nil {
			return err
		}
		draft := draftOf(vs)
		if draft == nil {
			return fault.Conflictf("there is nothing to sign: the latest version is already signed by both sides")
		}
		number = draft.Number
		if in.Revision != draft.Revision || (in.Number != 0 && in.Number != draft.Number) {
			return &StaleError{Yours: in, Current: draft, msg: fmt.Sprintf(
				"the draft changed after you read it (you read revision %d; it is at revision %d now), so it was not signed; read it again before you sign",
				in.Revision, draft.Revision)}
		}
		if missing := draft.Content.Missing(); len(missing) > 0 {
			return fault.Conflictf("the agreement needs %s before it can be signed", joinWords(missing))
		}
		if sig := draft.SignedBy(side); sig != nil {
			return fault.Conflictf("%s has already signed this text for the %s", sig.Name, side)
		}
		for _, sig := range draft.Signatures {
			if sig.UserID == actorID {
				return fault.Conflictf("you have signed this text for the %s already; someone else signs for the other side", sig.Side)
			}
		}
		if err := tx.Exec(`INSERT INTO agreement_signatures (version_id, revision, side, user_id, content_hash) VALUES (?, ?, ?, ?, ?)`,
			draft.id, draft.Revision, side, actorID, draft.Content.Hash()).Error; err != nil {
			return err
		}
		both := len(draft.Signatures) == 1
		if both {
			if err := tx.Exec(`UPDATE agreement_versions SET status = 'signed', signed_at = now() WHERE id = ?`, draft.id).Error; err != nil {
				return err
			}
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "agreement.sign", ObjectType: "grant",
			ObjectID: grantID, FundID: g.FundID, Changes: map[string]any{"version": draft.Number, "revision": draft.Revision,
				"side": side, "content_hash": draft.Content.Hash(), "signed_by_both": both}})
	})
	if err != nil {
		return Version{}, err
	}
	return s.Version(ctx, grantID, number)
}

// Renegotiate starts the next version: a draft copied from the latest
// signed version, which governs until the new one is signed.
func (s *Service) Renegotiate(ctx context.Context, actorID, grantID int64) (Version, error) {
	var number int
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		g, err := s.Grant(ctx, grantID)
		if err != nil {
			return err
		}
		row, err := s.agreementRow(ctx, grantID, " FOR UPDATE")
		if err != nil {
			return err
		}
		if row == nil {
			return ErrNoAgreement
		}
		vs, err := s.versions(ctx, row.ID, 0, "")
		if err != nil {
			return err
		}
		if d := draftOf(vs); d != nil {
			return fault.Conflictf("version %d is already being written as a draft; change that one", d.Number)
		}
		last := vs[len(vs)-1]
		number = last.Number + 1
		if err := tx.Exec(`INSERT INTO agreement_versions (agreement_id, number, content, content_hash, based_on, created_by, updated_by)
			VALUES (?, ?, ?::jsonb, ?, ?, ?, ?)`, row.ID, number, string(last.Content.Canonical()), last.Content.Hash(), last.Number,
			nullID(actorID), nullID(actorID)).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "agreement.renegotiate", ObjectType: "grant",
			ObjectID: grantID, FundID: g.FundID, Changes: map[string]any{"version": number, "based_on": last.Number}})
	})
	if err != nil {
		return Version{}, err
	}
	return s.Version(ctx, grantID, number)
}

// ForFund lists the agreements of a fund's grants by grant id: which grants
// have one, and whether it is signed.
func (s *Service) ForFund(ctx context.Context, fundID int64) (map[int64]string, error) {
	var rows []struct {
		GrantID int64
		Signed  bool
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT a.grant_id, EXISTS (SELECT 1 FROM agreement_versions v
			WHERE v.agreement_id = a.id AND v.status = 'signed') AS signed
		FROM agreements a WHERE a.fund_id = ?`, fundID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for _, r := range rows {
		out[r.GrantID] = Draft
		if r.Signed {
			out[r.GrantID] = Signed
		}
	}
	return out, nil
}

// IsStale reports whether err is a StaleError, and returns it.
func IsStale(err error) (*StaleError, bool) {
	var se *StaleError
	ok := errors.As(err, &se)
	return se, ok
}

func joinWords(items []string) string {
	items = slices.Clone(items)
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// readableDate writes 2026-04-01 as 1 April 2026.
func readableDate(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("2 January 2006")
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
