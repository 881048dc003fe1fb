package decision

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/ballot"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// input reads what a round's result is computed from. A ballot's entries
// for applications its author is recused from (a declaration changed
// after voting) or that are no longer eligible do not count.
func (s *Service) input(ctx context.Context, r Round) (Input, error) {
	in := Input{Rule: r.Rule, Method: r.Method, MethodParams: r.MethodParams, BudgetMinor: r.BudgetMinor,
		Currency: r.Currency, TieBreak: r.TieBreak}
	if err := store.Conn(ctx, s.db).Raw(`SELECT id, amount_minor FROM applications
		WHERE round_id = ? AND state = 'submitted' ORDER BY id`, r.ID).Scan(&in.Applications).Error; err != nil {
		return Input{}, err
	}
	Order(r.TieBreak, in.Applications)
	var rows []struct {
		Contents string
		Recused  string
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT b.contents::text AS contents,
			coalesce((SELECT string_agg(d.application_id::text, ',') FROM declarations d
				WHERE d.round_id = b.round_id AND d.user_id = b.user_id AND d.kind = 'recused'), '') AS recused
		FROM ballots b WHERE b.round_id = ? ORDER BY b.id`, r.ID).Scan(&rows).Error; err != nil {
		return Input{}, err
	}
	for _, row := range rows {
		var c ballot.Contents
		if err := json.Unmarshal([]byte(row.Contents), &c); err != nil {
			return Input{}, fmt.Errorf("round %d: a ballot is unreadable: %w", r.ID, err)
		}
		if row.Recused != "" {
			dropRecused(&c, strings.Split(row.Recused, ","))
		}
		in.Ballots = append(in.Ballots, c)
	}
	return in, nil
}

// dropRecused takes out of a ballot the applications its author is
// recused from.
func dropRecused(c *ballot.Contents, recused []string) {
	out := func(id int64) bool { return slices.Contains(recused, fmt.Sprint(id)) }
	c.Approvals = slices.DeleteFunc(c.Approvals, out)
	c.Ranking = slices.DeleteFunc(c.Ranking, out)
	for _, k := range recused {
		delete(c.Scores, k)
		delete(c.Points, k)
	}
}

// QuorumMet reports whether a round has the ballots its quorum asks for.
func QuorumMet(r Round, ballots int) bool { return ballots >= r.Quorum }

// OnClose is called by the round domain, in its transaction, when voting
// closes: with the quorum met the result is computed and stored at once;
// below it the round waits for the chair (see ComputeAnyway).
func (s *Service) OnClose(ctx context.Context, actorID int64, rr round.Round) error {
	r, err := s.round(ctx, rr.ID, "")
	if err != nil {
		return err
	}
	in, err := s.input(ctx, r)
	if err != nil {
		return err
	}
	if !QuorumMet(r, len(in.Ballots)) {
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "result.quorum_not_met", ObjectType: "round",
			ObjectID: r.ID, FundID: r.FundID, Changes: map[string]any{"ballots": len(in.Ballots), "quorum": r.Quorum}})
	}
	return s.store(ctx, actorID, r, in, nil)
}

// ComputeAnyway computes and stores the result of a closed round whose
// quorum was not met, with the chair's reason (published with the result).
func (s *Service) ComputeAnyway(ctx context.Context, actorID, roundID int64, reason string) (Result, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Result{}, validate.Field("reason", "is required: say why the result should be computed with fewer ballots than the quorum")
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		r, err := s.round(ctx, roundID, " FOR UPDATE OF r")
		if err != nil {
			return err
		}
		if r.State != round.Closed {
			return fault.Conflictf("a result is computed once voting has closed; the round is %s", round.StateNames[r.State])
		}
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM round_results WHERE round_id = ?`, roundID).Scan(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return fault.Conflictf("the result has already been computed")
		}
		in, err := s.input(ctx, r)
		if err != nil {
			return err
		}
		if QuorumMet(r, len(in.Ballots)) {
			return fault.Conflictf("the quorum is met; the result is computed without a waiver")
		}
		return s.store(ctx, actorID, r, in, &reason)
	})
	if err != nil {
		return Result{}, err
	}
	return s.Result(ctx, roundID)
}

// store computes and writes a round's result with its audit event.
func (s *Service) store(ctx context.Context, actorID int64, r Round, in Input, waived *string) error {
	o, err := Compute(in)
	if err != nil {
		return fmt.Errorf("round %d: computing the result: %w", r.ID, err)
	}
	digest, err := Digest(in.Ballots)
	if err != nil {
		return err
	}
	params, err := json.Marshal(in)
	if err != nil {
		return err
	}
	outcome, err := json.Marshal(o)
	if err != nil {
		return err
	}
	if err := store.Conn(ctx, s.db).Exec(`INSERT INTO round_results
		(round_id, rule, params, tie_break, ballots, ballot_digest, quorum, quorum_waived_reason, outcome, computed_by)
		VALUES (?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?::jsonb, ?)`,
		r.ID, in.Rule, string(params), in.TieBreak, len(in.Ballots), digest, r.Quorum, waived, string(outcome), nullID(actorID)).Error; err != nil {
		return err
	}
	return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "result.compute", ObjectType: "round",
		ObjectID: r.ID, FundID: r.FundID, Changes: map[string]any{"rule": in.Rule, "ballots": len(in.Ballots),
			"ballot_digest": digest, "funded": o.Funded, "quorum_waived_reason": waived}})
}

// Recomputation compares a stored result with one computed again now from
// the stored ballots and the stored inputs.
type Recomputation struct {
	RoundID        int64   `json:"round_id"`
	Matches        bool    `json:"matches"`
	DigestMatches  bool    `json:"digest_matches"`
	OutcomeMatches bool    `json:"outcome_matches"`
	StoredDigest   string  `json:"stored_digest"`
	Digest         string  `json:"digest"`
	StoredFunded   []int64 `json:"stored_funded"`
	Funded         []int64 `json:"funded"`
}

// Recompute reads the round's ballots again, computes the result with the
// stored rule and inputs, and compares both the ballots' digest and the
// outcome with what was stored.
func (s *Service) Recompute(ctx context.Context, roundID int64) (Recomputation, error) {
	res, err := s.Result(ctx, roundID)
	if err != nil {
		return Recomputation{}, err
	}
	r, err := s.Round(ctx, roundID)
	if err != nil {
		return Recomputation{}, err
	}
	now, err := s.input(ctx, r)
	if err != nil {
		return Recomputation{}, err
	}
	in := res.Input
	in.Ballots = now.Ballots
	o, err := Compute(in)
	if err != nil {
		return Recomputation{}, err
	}
	digest, err := Digest(now.Ballots)
	if err != nil {
		return Recomputation{}, err
	}
	stored, _ := json.Marshal(res.Outcome)
	again, _ := json.Marshal(o)
	rc := Recomputation{RoundID: roundID, StoredDigest: res.BallotDigest, Digest: digest,
		StoredFunded: res.Outcome.Funded, Funded: o.Funded,
		DigestMatches: digest == res.BallotDigest, OutcomeMatches: string(stored) == string(again)}
	rc.Matches = rc.DigestMatches && rc.OutcomeMatches
	return rc, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
