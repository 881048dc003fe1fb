package account

import (
	"context"
	"fmt"

	"github.com/humblehq/humble/internal/store"
)

// Viewer is someone looking across a whole fund rather than at one account:
// the pattern view, search, and the sources of a dialogue or a synthesis.
// The HTTP edge works it out from the authorizer (httpapi.FundViewer), as
// it works out a Reader for one account. What a Viewer may read is exactly
// what Get shows the matching Reader, restricted to submitted accounts and
// published reflections: drafts and notes awaiting confirmation are never
// a source of the fund's learning.
type Viewer struct {
	UserID int64
	FundID int64
	// Partner: a steward or learning partner of the fund, who reads every
	// section of every submitted account and published reflection.
	Partner bool
	// OwnOrgs are the organisations whose accounts the viewer reads in
	// full, as a grantee member of them.
	OwnOrgs []int64
	// Clearance is SeesPublic, SeesPeers or SeesPartner.
	Clearance int
	// Reflector: one who writes the fund's own reflections (a steward),
	// who reads every story in them whatever its consent, as their owner
	// does on the reflection itself. A partner who is not reads for
	// Purpose only, as on the account.
	Reflector bool
	// LeftFund: the viewer holds no role that reads the fund's dialogues
	// (they left it, or never took part): a dialogue they were once part
	// of no longer opens to them (Participant is 0).
	LeftFund bool
}

// Participant is the user whose taking part in a dialogue (convener,
// invited or accepted) opens it to the viewer; 0 for nobody.
func (v Viewer) Participant() int64 {
	if v.LeftFund {
		return 0
	}
	return v.UserID
}

// Purpose is what the viewer reads stories for.
func (v Viewer) Purpose() string { return PurposeFor(v.Clearance) }

// Args are the named arguments VisibleSections and StoryShown use.
func (v Viewer) Args() map[string]any {
	orgs := v.OwnOrgs
	if orgs == nil {
		orgs = []int64{}
	}
	return map[string]any{
		"v_user":      v.UserID,
		"v_fund":      v.FundID,
		"v_partner":   v.Partner,
		"v_orgs":      orgs,
		"v_clearance": v.Clearance,
		"v_purpose":   v.Purpose(),
		"v_reflector": v.Reflector,
		// v_participant: who must take part in a dialogue for it to open.
		"v_participant": v.Participant(),
	}
}

// FullSight is SQL that holds when the viewer reads every section of the
// account a. Having written it is not enough: an author who has left the
// organisation (or is no longer a steward) reads it as anyone else would,
// as on the account itself (isAuthor).
const FullSight = `(@v_partner OR (a.kind = 'grantee' AND a.organisation_id IN (@v_orgs)))`

// ownsStories is SQL that holds when the viewer reads every story of the
// account a whatever its consent's purposes, as Get's Reader.Owner does:
// the account's own organisation, or (for the funder's reflections) those
// who write them. Stewards and learning partners otherwise read stories
// for their Purpose, as on the account.
const ownsStories = `((a.kind = 'grantee' AND a.organisation_id IN (@v_orgs)) OR (a.kind = 'funder' AND @v_reflector))`

// StoryShown is SQL that holds for a story st of account a that the viewer
// may read now: its consent neither withdrawn nor expired, and given for
// the viewer's purpose unless they own the account. Unlike what
// an author sees on their own account, a withdrawn or expired story is
// never shown here, to anyone: patterns and search leave it out.
const StoryShown = `(st.withdrawn_at IS NULL AND (st.expires_on IS NULL OR st.expires_on >= current_date)
	AND (` + ownsStories + ` OR @v_purpose = ANY (st.purposes)))`

// VisibleSections is a query of every section the viewer may read, as
// rows (account_id, section_key, organisation_id, kind, period_end) of
// the viewer's fund, with the named arguments of Args. A section counts
// when its visibility reaches the viewer and it has words for them: a
// body, or (for what happened) a story they may read.
const VisibleSections = `SELECT s.account_id, s.key AS section_key, a.organisation_id, a.kind, a.period_end
	FROM account_sections s JOIN reflective_accounts a ON a.id = s.account_id
	WHERE a.fund_id = @v_fund AND a.status IN ('submitted', 'published')
	  AND (` + FullSight + ` OR (CASE s.visibility WHEN 'public' THEN 0 WHEN 'peers' THEN 1 ELSE 2 END) <= @v_clearance)
	  AND (s.body <> '' OR (s.key = 'what_happened' AND EXISTS (
		SELECT 1 FROM account_stories st WHERE st.account_id = a.id AND ` + StoryShown + `)))`

// CanRead reports whether the viewer may read a section of an account in
// their fund (sectionKey ""): any section of it.
func (s *Service) CanRead(ctx context.Context, v Viewer, accountID int64, sectionKey string) (bool, error) {
	args := v.Args()
	args["account"], args["key"] = accountID, sectionKey
	var n int64
	err := store.Conn(ctx, s.db).Raw(fmt.Sprintf(`SELECT count(*) FROM (%s) vs
		WHERE vs.account_id = @account AND (@key = '' OR vs.section_key = @key)`, VisibleSections), args).Scan(&n).Error
	return n > 0, err
}

// Readable is every section of a fund a viewer may read, by account.
type Readable map[int64]map[string]bool

// Reads reports whether the viewer may read a section of an account
// (sectionKey ""): any section of it.
func (r Readable) Reads(accountID int64, sectionKey string) bool {
	if sectionKey == "" {
		return len(r[accountID]) > 0
	}
	return r[accountID][sectionKey]
}

// Readable reads, in one query, every section of the viewer's fund they
// may read: for a page that weighs many sources at once, where CanRead
// would ask once per source.
func (s *Service) Readable(ctx context.Context, v Viewer) (Readable, error) {
	var rows []struct {
		AccountID  int64
		SectionKey string
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT account_id, section_key FROM (`+VisibleSections+`) vs`, v.Args()).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := Readable{}
	for _, r := range rows {
		if out[r.AccountID] == nil {
			out[r.AccountID] = map[string]bool{}
		}
		out[r.AccountID][r.SectionKey] = true
	}
	return out, nil
}
