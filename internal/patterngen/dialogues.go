package patterngen

import (
	"context"
	"slices"
	"time"
)

// dialogues writes the fund's peer dialogues, spread over the periods:
// conveners (mostly grantees), invited participants who accept or decline,
// the account sections they start from, notes in versions, agreed actions
// in every state, issues passed up (some answered), follow-ups, and tags.
func (g *gen) dialogues(ctx context.Context) error {
	cfg, fx := g.cfg, g.fx
	n := cfg.Dialogues
	if n == 0 {
		return nil
	}
	ids, err := g.reserve(ctx, "dialogues", n)
	if err != nil {
		return err
	}
	var (
		conveners, follows      = make([]int64, n), make([]int64, n)
		purposes, questions     = make([]string, n), make([]string, n)
		meets                   = make([]time.Time, n)
		pDlg, pUser, pBy        []int64
		pStatus                 []string
		pAt                     []time.Time
		pResp                   []*time.Time
		sDlg, sAcc, sBy         []int64
		sKey                    []string
		nDlg, nVer, nBy         []int64
		nBody                   []string
		nAt                     []time.Time
		aDlg, aOwner, aBy       []int64
		aWhat, aStatus, aReason []string
		aDue                    []time.Time
		iDlg, iBy               []int64
		iBody, iAnswer          []string
		iAnsweredBy             []*int64
		iAt                     []time.Time
		iAnsweredAt             []*time.Time
		tTheme, tDlg, tBy       []int64
		tAt                     []time.Time
	)
	partners := append(slices.Clone(fx.Stewards), fx.LearningPartner)
	for d := range n {
		p := d * cfg.Periods / n
		meets[d] = fx.Periods[p].Start.AddDate(0, 0, g.rng.IntN(80))
		purposes[d] = g.pick(dialoguePurposes)
		if g.chance(0.4) {
			questions[d] = "What would we do differently if we started again?"
		}
		var convener int64
		partner := false
		switch r := g.rng.Float64(); {
		case r < 0.6:
			convener = fx.GranteeUsers[g.rng.IntN(len(fx.GranteeUsers))]
		case r < 0.8:
			convener, partner = fx.Stewards[g.rng.IntN(2)], true
		case r < 0.9:
			convener = fx.Panel[g.rng.IntN(len(fx.Panel))]
		default:
			convener, partner = fx.LearningPartner, true
		}
		conveners[d] = convener
		if d >= 4 && g.chance(0.3) {
			follows[d] = ids[d-1-g.rng.IntN(3)]
		}
		invitedAt := meets[d].AddDate(0, 0, -14)
		people := []int64{convener} // taking part: not declined
		asked := []int64{convener}
		pDlg, pUser, pStatus, pBy = append(pDlg, ids[d]), append(pUser, convener), append(pStatus, "convener"), append(pBy, 0)
		pAt, pResp = append(pAt, invitedAt), append(pResp, nil)
		fx.Participants++
		for range 2 + g.rng.IntN(5) {
			var u int64
			switch r := g.rng.Float64(); {
			case r < 0.65:
				u = fx.GranteeUsers[g.rng.IntN(len(fx.GranteeUsers))]
			case r < 0.85:
				u = partners[g.rng.IntN(len(partners))]
			default:
				u = fx.Panel[g.rng.IntN(len(fx.Panel))]
			}
			if slices.Contains(asked, u) {
				continue
			}
			asked = append(asked, u)
			status := "accepted"
			switch r := g.rng.Float64(); {
			case r < 0.15:
				status = "invited"
			case r < 0.30:
				status = "declined"
			}
			var resp *time.Time
			if status != "invited" {
				t := invitedAt.AddDate(0, 0, 1+g.rng.IntN(10))
				resp = &t
			}
			if status != "declined" {
				people = append(people, u)
			}
			pDlg, pUser, pStatus, pBy = append(pDlg, ids[d]), append(pUser, u), append(pStatus, status), append(pBy, convener)
			pAt, pResp = append(pAt, invitedAt), append(pResp, resp)
			fx.Participants++
		}

		// What it starts from: sections the convener could read.
		for range g.rng.IntN(4) {
			i := g.rng.IntN(fx.Accounts)
			var keys []string
			for _, r := range g.visibleKeys[i] {
				if partner || r.visibility != "funder_and_partner" || fx.GranteeUsers[g.accounts[i].grantee] == convener {
					keys = append(keys, r.key)
				}
			}
			if len(keys) == 0 {
				continue
			}
			key := g.pick(keys)
			dup := false
			for j := range sDlg {
				dup = dup || (sDlg[j] == ids[d] && sAcc[j] == g.accounts[i].id && sKey[j] == key)
			}
			if !dup {
				sDlg, sAcc, sKey, sBy = append(sDlg, ids[d]), append(sAcc, g.accounts[i].id), append(sKey, key), append(sBy, convener)
			}
		}
		versions := 1 + g.rng.IntN(3)
		for v := 1; v <= versions; v++ {
			nDlg, nVer, nBy = append(nDlg, ids[d]), append(nVer, int64(v)), append(nBy, people[g.rng.IntN(len(people))])
			nBody = append(nBody, g.words(notes, 3))
			nAt = append(nAt, meets[d].Add(time.Duration(v)*time.Hour))
		}
		for range g.rng.IntN(4) {
			status, reason := "open", ""
			switch r := g.rng.Float64(); {
			case r < 0.4:
				status = "done"
			case r < 0.55:
				status, reason = "dropped", "Overtaken by the council's own consultation."
			}
			aDlg, aOwner, aBy = append(aDlg, ids[d]), append(aOwner, people[g.rng.IntN(len(people))]), append(aBy, convener)
			aWhat, aStatus, aReason = append(aWhat, g.pick(actions)), append(aStatus, status), append(aReason, reason)
			aDue = append(aDue, meets[d].AddDate(0, 0, 14+g.rng.IntN(60)))
		}
		if g.chance(0.3) {
			is := issues[g.rng.IntN(len(issues))]
			iDlg, iBy, iBody = append(iDlg, ids[d]), append(iBy, people[g.rng.IntN(len(people))]), append(iBody, is.body)
			iAt = append(iAt, meets[d].Add(2*time.Hour))
			var answeredBy *int64
			var answeredAt *time.Time
			if is.answer != "" && g.chance(0.7) {
				t := meets[d].AddDate(0, 0, 3+g.rng.IntN(14))
				answeredBy, answeredAt = &fx.Stewards[g.rng.IntN(2)], &t
			}
			iAnswer, iAnsweredBy, iAnsweredAt = append(iAnswer, is.answer), append(iAnsweredBy, answeredBy), append(iAnsweredAt, answeredAt)
		}
		if g.chance(0.35) {
			for _, t := range g.rng.Perm(len(fx.Themes))[:min(len(fx.Themes), 1+g.rng.IntN(2))] {
				tTheme, tDlg = append(tTheme, fx.Themes[t]), append(tDlg, ids[d])
				tBy, tAt = append(tBy, people[g.rng.IntN(len(people))]), append(tAt, meets[d].AddDate(0, 0, 1))
				fx.DialogueTags++
			}
		}
	}
	fx.Dialogues = n

	if err := g.exec(ctx, "dialogues", `INSERT INTO dialogues (id, fund_id, convened_by, purpose, meets_on, prompts,
			open_questions, follows_up, created_at, updated_at)
		OVERRIDING SYSTEM VALUE
		SELECT id, $2, convener, purpose, meets, $3::text[], questions, NULLIF(follows, 0),
			meets - interval '14 days', meets - interval '14 days'
		FROM unnest($1::bigint[], $4::bigint[], $5::text[], $6::date[], $7::text[], $8::bigint[])
			AS t (id, convener, purpose, meets, questions, follows)`,
		ids, fx.FundID, prompts, conveners, purposes, meets, questions, follows); err != nil {
		return err
	}
	if err := g.exec(ctx, "participants", `INSERT INTO dialogue_participants (dialogue_id, user_id, status, invited_by,
			invited_at, responded_at)
		SELECT d, u, status, NULLIF(by, 0), at, resp
		FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::timestamptz[], $6::timestamptz[])
			AS t (d, u, status, by, at, resp)`, pDlg, pUser, pStatus, pBy, pAt, pResp); err != nil {
		return err
	}
	if err := g.exec(ctx, "dialogue sources", `INSERT INTO dialogue_sources (dialogue_id, account_id, section_key, added_by)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[])`, sDlg, sAcc, sKey, sBy); err != nil {
		return err
	}
	if err := g.exec(ctx, "notes", `INSERT INTO dialogue_notes (dialogue_id, version, body, written_by, written_at)
		SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::bigint[], $5::timestamptz[])`,
		nDlg, nVer, nBody, nBy, nAt); err != nil {
		return err
	}
	if err := g.exec(ctx, "actions", `INSERT INTO dialogue_actions (dialogue_id, what, owner_id, due_on, status,
			dropped_reason, created_by, updated_by)
		SELECT d, what, owner, due, status, reason, by, by
		FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::date[], $5::text[], $6::text[], $7::bigint[])
			AS t (d, what, owner, due, status, reason, by)`, aDlg, aWhat, aOwner, aDue, aStatus, aReason, aBy); err != nil {
		return err
	}
	if err := g.exec(ctx, "issues", `INSERT INTO dialogue_issues (dialogue_id, body, raised_by, raised_at, answer,
			answered_by, answered_at)
		SELECT d, body, by, at, CASE WHEN answered_at IS NULL THEN NULL ELSE answer END, answered_by, answered_at
		FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::timestamptz[], $5::text[], $6::bigint[], $7::timestamptz[])
			AS t (d, body, by, at, answer, answered_by, answered_at)`,
		iDlg, iBody, iBy, iAt, iAnswer, iAnsweredBy, iAnsweredAt); err != nil {
		return err
	}
	return g.exec(ctx, "dialogue tags", `INSERT INTO theme_tags (fund_id, theme_id, dialogue_id, tagged_by, tagged_at)
		SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::timestamptz[])`,
		fx.FundID, tTheme, tDlg, tBy, tAt)
}
