package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/dialogue"
)

// dialogues adds a peer dialogue to the demo fund and its follow-up: tom
// convenes priya, rosa and amara to read together the sections of tom's
// and priya's accounts they share with peers. Their notes are in two
// versions; they agreed three actions (one open, one done, one dropped
// with a reason) and passed one issue up, which amara answered. Priya's
// follow-up opens with the action still open.
func (d demoSeeder) dialogues(ctx context.Context) error {
	grants, err := d.s.Decisions.Grants(ctx, d.fundID)
	if err != nil {
		return err
	}
	byTitle := map[string]int64{}
	for _, g := range grants {
		byTitle[g.Title] = g.ID
	}
	keys, cooking := byTitle[demoKeyHolders], byTitle[demoCooking]
	if keys == 0 || cooking == 0 {
		return errors.New("the decided round's grants are not the ones the demo expects")
	}
	// What a peer of the fund reads: the sections shared with peers (or
	// everyone) of the submitted accounts.
	peer := account.Reader{UserID: d.id("rosa@example.org"), Clearance: account.SeesPeers, Purpose: account.ForLearning}
	shared := map[int64]map[string]bool{}
	var sources []dialogue.SourceRef
	for _, g := range []int64{keys, cooking} {
		ms, err := d.s.Accounts.ListGrant(ctx, g, peer)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.Status != account.Submitted {
				continue
			}
			acc, err := d.s.Accounts.Get(ctx, m.ID, peer)
			if err != nil {
				return err
			}
			shared[m.ID] = map[string]bool{}
			for _, s := range acc.Sections {
				shared[m.ID][s.Key] = true
				if s.Visibility == account.Peers {
					sources = append(sources, dialogue.SourceRef{AccountID: m.ID, SectionKey: s.Key})
				}
			}
		}
	}
	if len(sources) == 0 {
		return errors.New("tom's and priya's accounts share nothing with peers")
	}
	canRead := func(accountID int64, key string) bool {
		return shared[accountID] != nil && (key == "" || shared[accountID][key])
	}

	tom, priya, rosa, amara := d.id("tom@example.org"), d.id("priya@example.org"), d.id("rosa@example.org"), d.id("amara@example.org")
	day := func(days int) string { return d.now.AddDate(0, 0, days).Format(time.DateOnly) }
	dl := d.s.Dialogues
	first, err := dl.Convene(ctx, tom, d.fundID, dialogue.NewDialogue{
		Purpose:  "Who is still not coming, and what would bring them?",
		MeetsOn:  day(-20),
		Invitees: []int64{priya, rosa, amara},
		OpenQuestions: "Both our accounts say young parents hardly come. Is it the times, the rooms, or that nobody asked them?\n" +
			"What could the two projects do together that neither can alone?",
		Sources: sources,
	}, canRead)
	if err != nil {
		return fmt.Errorf("convening: %w", err)
	}
	for _, u := range []int64{priya, rosa, amara} {
		if err := dl.Respond(ctx, u, first, dialogue.Answer{Status: dialogue.Accepted}); err != nil {
			return err
		}
	}
	notes1 := "We started with who does not come. Tom: the evenings suit people who work days; young parents are putting children to bed. " +
		"Priya: the cooking sessions are full of grandmothers, and their daughters drop them off and leave."
	if _, err := dl.SaveNotes(ctx, tom, first, dialogue.NotesEdit{Version: 0, Body: notes1}); err != nil {
		return err
	}
	notes2 := notes1 + "\nRosa asked whether anyone had asked young parents directly. Nobody had. " +
		"Amara said the fund would rather hear 'we do not know yet' than a guess.\n" +
		"We agreed to try one joint Saturday morning: cooking in the community room, with the key-holders opening up."
	if _, err := dl.SaveNotes(ctx, priya, first, dialogue.NotesEdit{Version: 1, Body: notes2}); err != nil {
		return err
	}
	if _, err := dl.AddAction(ctx, priya, first, dialogue.NewAction{
		What: "Ask five young parents at the school gate what time of day they could come", OwnerID: priya, DueOn: day(10)}); err != nil {
		return err
	}
	done, err := dl.AddAction(ctx, tom, first, dialogue.NewAction{
		What: "Share the key-holders' rota with Shared Tables so a Saturday morning can be covered", OwnerID: tom, DueOn: day(-10)})
	if err != nil {
		return err
	}
	dropped, err := dl.AddAction(ctx, rosa, first, dialogue.NewAction{
		What: "Put a questionnaire through every door in Cedar tower", OwnerID: rosa})
	if err != nil {
		return err
	}
	if _, err := dl.UpdateAction(ctx, tom, done.ID, dialogue.ActionChange{Version: done.Version, Status: dialogue.Done}); err != nil {
		return err
	}
	if _, err := dl.UpdateAction(ctx, rosa, dropped.ID, dialogue.ActionChange{Version: dropped.Version, Status: dialogue.Dropped,
		DroppedReason: "Tenants told us they are asked to fill in forms all the time; talking at the school gate will tell us more."}); err != nil {
		return err
	}
	issue, err := dl.PassUp(ctx, priya, first, dialogue.NewIssue{
		Body: "A joint Saturday morning needs the room for longer than either grant pays for. Could the fund cover the extra hours until the spring?"})
	if err != nil {
		return err
	}
	if _, err := dl.Answer(ctx, amara, issue.ID, dialogue.IssueAnswer{
		Answer: "Yes. We will pay the extra room hours until the end of March from the fund's learning budget; send us the invoices as they come. " +
			"Tell us in your next accounts what the mornings taught you, whatever it is."}); err != nil {
		return err
	}
	// The follow-up, a few weeks on, opens with priya's action still open.
	followUp, err := dl.Convene(ctx, priya, d.fundID, dialogue.NewDialogue{
		Purpose:   "Did the Saturday morning reach young parents?",
		MeetsOn:   day(14),
		Invitees:  []int64{tom, rosa},
		FollowsUp: &first,
	}, canRead)
	if err != nil {
		return fmt.Errorf("the follow-up: %w", err)
	}
	if err := dl.Respond(ctx, tom, followUp, dialogue.Answer{Status: dialogue.Accepted}); err != nil {
		return err
	}
	return nil
}
