package patterngen

import (
	"context"
	"time"
)

// writeAccounts writes the grantees' accounts (submitted, plus a few drafts and
// notes awaiting confirmation that must never count), the funder's
// published reflections, their sections and stories, and the stewards'
// responses.
//
// Sections and stories can only be written while an account is a draft
// (migration 00007's trigger), so every account is written as a draft
// first and then submitted or published in one UPDATE, as people would.
func (g *gen) writeAccounts(ctx context.Context) error {
	cfg, fx := g.cfg, g.fx
	// How many accounts each (grant, period) writes: every slot the same,
	// the remainder spread at random.
	slots := cfg.Grantees * cfg.Periods
	per := make([]int, slots)
	for i := range per {
		per[i] = cfg.Accounts / slots
	}
	for _, s := range g.rng.Perm(slots)[:cfg.Accounts%slots] {
		per[s]++
	}
	for s, k := range per {
		grantee, period := s/cfg.Periods, s%cfg.Periods
		for j := range k {
			a := acct{grantee: grantee, period: period, kind: "grantee", mode: "written", status: "submitted",
				author: fx.GranteeUsers[grantee]}
			if j > 0 {
				// Notes of a conversation with the learning partner,
				// confirmed by the grantee.
				a.mode, a.author = "conversation", fx.LearningPartner
				fx.Conversations++
			}
			a.at = fx.Periods[period].End.Add(time.Duration(1+g.rng.IntN(40*24)) * time.Hour)
			g.accounts = append(g.accounts, a)
		}
	}
	fx.Accounts = len(g.accounts)
	// The grantee to look as: the one with the most accounts.
	best, perGrantee := 0, make([]int, cfg.Grantees)
	for _, a := range g.accounts {
		perGrantee[a.grantee]++
		if perGrantee[a.grantee] > perGrantee[best] {
			best = a.grantee
		}
	}
	fx.Grantee, fx.GranteeOrg = fx.GranteeUsers[best], fx.GranteeOrgs[best]
	for p := range cfg.Periods {
		g.accounts = append(g.accounts, acct{grantee: -1, period: p, kind: "funder", mode: "written", status: "published",
			author: fx.Stewards[p%2], at: fx.Periods[p].End.Add(time.Duration(24*(20+g.rng.IntN(20))) * time.Hour)})
		fx.FunderReflections++
	}
	// This quarter's work in progress: drafts, and notes of conversations
	// waiting for the grantee to confirm them.
	for i := range max(1, cfg.Grantees/10) {
		a := acct{grantee: (i * 7) % cfg.Grantees, period: cfg.Periods, kind: "grantee", mode: "written", status: "draft"}
		a.author = fx.GranteeUsers[a.grantee]
		if i%4 == 3 {
			a.mode, a.status, a.author = "conversation", "awaiting_confirmation", fx.LearningPartner
		}
		g.accounts = append(g.accounts, a)
		fx.Drafts++
	}

	// Stories go to submitted grantee accounts.
	for range cfg.Stories {
		g.accounts[g.rng.IntN(fx.Accounts)].stories++
	}

	ids, err := g.reserve(ctx, "reflective_accounts", len(g.accounts))
	if err != nil {
		return err
	}
	g.visibleKeys = map[int][]sectionRef{}
	n := len(g.accounts)
	var (
		grants, orgs, authors, confirmed = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		kinds, modes, initial, final     = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		starts, ends, created            = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		secAcc                           []int64
		secKey, secBody, secVis          []string
		stAcc, stPos                     []int64
		stBody, stPurposes, stNaming     []string
		stExpires, stWithdrawn           []*time.Time
		stWithdrawnBy, stCreatedBy       []*int64
		doneIDs, doneBy                  []int64
		doneStatus                       []string
		doneAt                           []time.Time
		respAcc, respBy                  []int64
		respBody                         []string
		respAt                           []time.Time
	)
	periodOf := func(p int) Period {
		if p < len(fx.Periods) {
			return fx.Periods[p]
		}
		return Period{Start: cfg.Until, End: cfg.Until.AddDate(0, 3, -1)}
	}
	for i := range g.accounts {
		a := &g.accounts[i]
		a.id = ids[i]
		pr := periodOf(a.period)
		starts[i], ends[i] = pr.Start, pr.End
		kinds[i], modes[i], final[i], authors[i] = a.kind, a.mode, a.status, a.author
		initial[i] = "draft"
		if a.mode == "conversation" {
			initial[i] = "awaiting_confirmation"
		}
		created[i] = pr.End.AddDate(0, 0, -14)
		if a.kind == "grantee" {
			grants[i], orgs[i] = fx.Grants[a.grantee], fx.GranteeOrgs[a.grantee]
			if a.mode == "conversation" && a.status == "submitted" {
				confirmed[i] = fx.GranteeUsers[a.grantee]
			}
		} else {
			orgs[i] = fx.FunderOrgID
		}
		counts := a.status == "submitted" || a.status == "published"
		for _, key := range sectionKeys {
			s := section{key: key, visibility: g.visibility()}
			switch {
			case a.kind == "funder":
				s.body = g.words(funderSentences, 2)
				s.visibility = g.pick([]string{"funder_and_partner", "peers", "peers", "public", "public"})
			case key == "what_happened" && a.stories > 0 && g.chance(0.35):
				// The stories say it all.
			case g.chance(0.85):
				s.body = g.words(sentences[key], 3)
			}
			secAcc = append(secAcc, a.id)
			secKey, secBody, secVis = append(secKey, key), append(secBody, s.body), append(secVis, s.visibility)
			a.sections = append(a.sections, s)
			if !counts {
				continue
			}
			fx.Sections++
			if s.body != "" {
				fx.SectionsWithWords++
			}
			if a.kind == "grantee" {
				fx.Visibility[s.visibility]++
			}
			if s.body != "" || (key == "what_happened" && a.stories > 0) {
				g.visibleKeys[i] = append(g.visibleKeys[i], sectionRef{key: key, visibility: s.visibility})
			}
		}
		for pos := 1; pos <= a.stories; pos++ {
			stAcc, stPos = append(stAcc, a.id), append(stPos, int64(pos))
			stBody = append(stBody, g.pick(stories))
			stPurposes = append(stPurposes, g.pick([]string{"learning_within_fund", "learning_within_fund",
				"learning_within_fund,public_pages", "learning_within_fund,public_pages,reports",
				"learning_within_fund,reports", "public_pages", "reports"}))
			stNaming = append(stNaming, g.pick([]string{"anonymous", "anonymous", "first_name", "full_name"}))
			var expires, withdrawn *time.Time
			var withdrawnBy *int64
			switch r := g.rng.Float64(); {
			case r < 0.12:
				t := cfg.Until.AddDate(0, 0, -1-g.rng.IntN(300))
				if t.Before(a.at) {
					t = a.at.AddDate(0, 0, 30)
				}
				if t.Before(cfg.Until) {
					expires = &t
					fx.StoriesExpired++
				}
			case r < 0.40:
				t := cfg.Until.AddDate(0, 0, 200+g.rng.IntN(700))
				expires = &t
			}
			if g.chance(0.08) {
				t := g.past(a.at, a.at.Add(time.Duration(24*(1+g.rng.IntN(60)))*time.Hour))
				withdrawn, withdrawnBy = &t, &fx.GranteeUsers[a.grantee]
				fx.StoriesWithdrawn++
			}
			stExpires, stWithdrawn, stWithdrawnBy = append(stExpires, expires), append(stWithdrawn, withdrawn), append(stWithdrawnBy, withdrawnBy)
			stCreatedBy = append(stCreatedBy, &authors[i])
			fx.Stories++
		}
		if counts {
			doneIDs, doneStatus, doneAt = append(doneIDs, a.id), append(doneStatus, a.status), append(doneAt, a.at)
			by := a.author
			if a.mode == "conversation" {
				by = fx.GranteeUsers[a.grantee]
			}
			doneBy = append(doneBy, by)
		}
		if a.kind == "grantee" && counts && g.chance(0.9) {
			at := a.at.Add(time.Duration(24*(3+g.rng.IntN(22))) * time.Hour)
			if at.Before(cfg.Until.AddDate(0, 0, 45)) {
				respAcc, respBy = append(respAcc, a.id), append(respBy, fx.Stewards[g.rng.IntN(2)])
				respBody, respAt = append(respBody, g.pick(responses)), append(respAt, at)
			}
		}
	}

	if err := g.exec(ctx, "accounts", `INSERT INTO reflective_accounts (id, fund_id, grant_id, organisation_id, kind, mode,
			period_start, period_end, status, author_id, confirmed_by, created_at, updated_at)
		OVERRIDING SYSTEM VALUE
		SELECT id, $2, NULLIF(grant_id, 0), org, kind, mode, ps, pe, status, author, NULLIF(confirmed, 0), created, created
		FROM unnest($1::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::date[], $8::date[],
			$9::text[], $10::bigint[], $11::bigint[], $12::timestamptz[])
			AS t (id, grant_id, org, kind, mode, ps, pe, status, author, confirmed, created)`,
		ids, fx.FundID, grants, orgs, kinds, modes, starts, ends, initial, authors, confirmed, created); err != nil {
		return err
	}
	if err := g.exec(ctx, "sections", `INSERT INTO account_sections (account_id, key, body, visibility)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])`, secAcc, secKey, secBody, secVis); err != nil {
		return err
	}
	if err := g.exec(ctx, "stories", `INSERT INTO account_stories (account_id, position, body, purposes, naming, expires_on,
			withdrawn_at, withdrawn_by, created_by)
		SELECT acc, pos, body, string_to_array(purposes, ','), naming, expires, withdrawn, withdrawn_by, created_by
		FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::date[], $7::timestamptz[],
			$8::bigint[], $9::bigint[]) AS t (acc, pos, body, purposes, naming, expires, withdrawn, withdrawn_by, created_by)`,
		stAcc, stPos, stBody, stPurposes, stNaming, stExpires, stWithdrawn, stWithdrawnBy, stCreatedBy); err != nil {
		return err
	}
	if err := g.exec(ctx, "submission", `UPDATE reflective_accounts a
		SET status = t.status, submitted_by = t.by, submitted_at = t.at, updated_at = t.at
		FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::timestamptz[]) AS t (id, status, by, at)
		WHERE a.id = t.id`, doneIDs, doneStatus, doneBy, doneAt); err != nil {
		return err
	}
	return g.exec(ctx, "responses", `INSERT INTO account_responses (account_id, body, sent_by, sent_at)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::timestamptz[])`, respAcc, respBody, respBy, respAt)
}

// tags puts TagsPerAccount themes on sections with words of every
// submitted account, and two on each published reflection.
func (g *gen) tags(ctx context.Context) error {
	cfg, fx := g.cfg, g.fx
	var themes, accs []int64
	var keys []string
	var by []int64
	var at []time.Time
	for i, a := range g.accounts {
		refs := g.visibleKeys[i]
		if len(refs) == 0 {
			continue
		}
		n := cfg.TagsPerAccount
		if a.kind == "funder" {
			n = 2
		}
		for _, j := range g.rng.Perm(len(refs))[:min(n, len(refs))] {
			themes = append(themes, fx.Themes[g.theme(a.period)])
			accs, keys = append(accs, a.id), append(keys, refs[j].key)
			who := []int64{fx.Stewards[0], fx.Stewards[1], fx.LearningPartner}
			if a.kind == "grantee" {
				who = append(who, fx.GranteeUsers[a.grantee])
			}
			by = append(by, who[g.rng.IntN(len(who))])
			at = append(at, g.past(a.at, a.at.Add(time.Duration(24*(1+g.rng.IntN(30)))*time.Hour)))
			if a.kind == "funder" {
				fx.ReflectionTags++
			} else {
				fx.AccountTags++
			}
		}
	}
	return g.exec(ctx, "tags", `INSERT INTO theme_tags (fund_id, theme_id, account_id, section_key, tagged_by, tagged_at)
		SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::timestamptz[])`,
		fx.FundID, themes, accs, keys, by, at)
}

// past keeps t, a moment after since, no later than 44 days after Until:
// before today when Until is the default.
func (g *gen) past(since, t time.Time) time.Time {
	if limit := g.cfg.Until.AddDate(0, 0, 44); t.After(limit) {
		t = limit
	}
	if !t.After(since) {
		t = since.Add(time.Hour)
	}
	return t
}
