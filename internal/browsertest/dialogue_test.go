package browsertest_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	bt "github.com/humblehq/humble/internal/browsertest"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/user"
)

// A grantee convenes a peer dialogue with two peers and a steward, from
// the default prompts and a section another grantee shares with peers
// (first forgetting the purpose and the date). They accept; two write the
// notes at once (the second is told, and keeps their words); they agree
// actions, drop one with a reason, and pass an issue up. The steward
// answers it on the page of issues passed up; the grantee reads the
// answer, then convenes a follow-up that opens with the action still open,
// which its owner finds among their own actions. axe finds nothing on any
// page, on a desktop and on a phone.
func TestPeerDialogueJourney(t *testing.T) {
	env, ctx := start(t)
	tom, priya, rosa := env.CreateUser(t, "Tom Reilly"), env.CreateUser(t, "Priya Shah"), env.CreateUser(t, "Rosa Mendes")
	amara := env.CreateUser(t, "Amara Okafor")
	funder := env.CreateOrg(t, "Riverside Trust", org.Funder, amara)
	orgs := map[string]org.Organisation{
		"tom":   env.CreateOrg(t, "Eastfield Tenants", org.Applicant, tom),
		"priya": env.CreateOrg(t, "Shared Tables", org.Applicant, priya),
		"rosa":  env.CreateOrg(t, "Hillside Youth Club", org.Applicant, rosa),
	}
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := env.DB.Raw(sql, args...).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := env.DB.Exec(sql, args...).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	fund := applicationtest.FundOf(t, env.DB, funder.ID, "Riverside Futures")
	round := applicationtest.PastRound(t, env.DB, fund, "review")
	for who, u := range map[string]user.User{"tom": tom, "priya": priya, "rosa": rosa} {
		o := orgs[who]
		_, grant := applicationtest.Grant(t, env.DB, round, o.ID, "Clubs", 50000, applicationtest.Day(-100), applicationtest.Day(265))
		acc := id(`INSERT INTO reflective_accounts (fund_id, grant_id, organisation_id, kind, period_start, period_end, author_id)
			VALUES (?, ?, ?, 'grantee', current_date - 100, current_date - 10, ?) RETURNING id`, fund, grant, o.ID, u.ID)
		exec(`INSERT INTO account_sections (account_id, key, body, visibility) VALUES (?, 'what_we_learnt', 'We learnt to ask first.', 'peers'),
			(?, 'what_we_need', 'A new treasurer.', 'funder_and_partner')`, acc, acc)
		exec(`UPDATE reflective_accounts SET status = 'submitted', submitted_at = now(), submitted_by = ? WHERE id = ?`, u.ID, acc)
		env.Grant(t, u, authz.Grantee, authz.FundDomain(fund))
	}
	env.Grant(t, amara, authz.Steward, authz.FundDomain(fund))

	// Tom convenes, from the fund's page.
	wantStatus(t, "tom signs in", signIn(t, ctx, env, tom.Email, apptest.Password), http.StatusOK)
	wantStatus(t, "GET the fund", bt.Navigate(t, ctx, fmt.Sprintf("%s/funds/%d", env.URL, fund)), http.StatusOK)
	wantStatus(t, "open the dialogues", bt.FollowLink(t, ctx, "Peer dialogues"), http.StatusOK)
	wantText(t, ctx, "h1", "Peer dialogues")
	if got := bt.FieldValue(t, ctx, "The prompts you open with"); !strings.Contains(got, "What do we ask of the funder?") {
		t.Errorf("the default prompts: %q", got)
	}
	if bt.Count(t, ctx, "input[name=sources]") == 0 {
		t.Fatal("no sources to choose from")
	}
	for _, s := range bt.Texts(t, ctx, "#sources label") {
		if strings.Contains(s, "What we need") || strings.Contains(s, "What you need") {
			if !strings.HasPrefix(s, "Eastfield Tenants") {
				t.Errorf("tom is offered a section he cannot read: %q", s)
			}
		}
	}
	bt.CheckA11y(t, ctx, "dialogues")
	wantStatus(t, "convene with nothing", bt.ClickButton(t, ctx, "Convene the dialogue"), http.StatusUnprocessableEntity)
	checkErrorSummary(t, ctx, map[string]string{"purpose": "The purpose is required.", "meets_on": "The date is required."})
	bt.CheckA11y(t, ctx, "dialogues (errors)")
	bt.Fill(t, ctx, "What is it for?", "How do we hear the young people who do not come?")
	setValue(t, ctx, "When do you meet?", "2026-12-03")
	for _, u := range []user.User{priya, rosa, amara} {
		clickLabel(t, ctx, fmt.Sprintf("invitee-%d", u.ID))
	}
	ok := bt.Eval[bool](t, ctx, `(() => { const l = [...document.querySelectorAll('#sources label')].find(l =>
		l.textContent.startsWith('Shared Tables') && l.textContent.includes('learnt')); if (!l) return false; l.click(); return l.control.checked })()`)
	if !ok {
		t.Fatal("could not choose Shared Tables' shared section")
	}
	wantStatus(t, "convene", bt.ClickButton(t, ctx, "Convene the dialogue"), http.StatusOK)
	m := regexp.MustCompile(`/dialogues/(\d+)\?notice=convened$`).FindStringSubmatch(bt.Location(t, ctx))
	if m == nil {
		t.Fatalf("after convening the browser is at %s", bt.Location(t, ctx))
	}
	path := env.URL + "/dialogues/" + m[1]
	main := bt.Text(t, ctx, "main")
	for _, want := range []string{"Where are we stuck", "Shared Tables", "Priya Shah: Invited, not answered yet"} {
		if !strings.Contains(main, want) {
			t.Errorf("the new dialogue lacks %q", want)
		}
	}
	bt.CheckA11y(t, ctx, "dialogue (convened)")
	bt.Screenshot(t, ctx, "dialogue-convened")

	// The others accept.
	people := map[string]context.Context{}
	for name, u := range map[string]user.User{"priya": priya, "rosa": rosa, "amara": amara} {
		b := freshBrowser(t, ctx)
		wantStatus(t, name+" signs in", signIn(t, b, env, u.Email, apptest.Password), http.StatusOK)
		wantStatus(t, name+" opens the dialogue", bt.Navigate(t, b, path), http.StatusOK)
		if name == "priya" {
			bt.CheckA11y(t, b, "dialogue (invited)")
		}
		wantStatus(t, name+" accepts", bt.ClickButton(t, b, "Accept"), http.StatusOK)
		wantText(t, b, ".notice[role=status]", "You are taking part. Welcome.")
		people[name] = b
	}
	priyaB, amaraB := people["priya"], people["amara"]

	// Two write the notes at once: Priya's page is older than Tom's save.
	wantStatus(t, "tom reloads", bt.Navigate(t, ctx, path), http.StatusOK)
	bt.Fill(t, ctx, "The notes", "We began with who does not come, and why.")
	wantStatus(t, "tom saves the notes", bt.ClickButton(t, ctx, "Save the notes"), http.StatusOK)
	wantText(t, ctx, ".notice[role=status]", "The notes are saved as a new version.")
	bt.Fill(t, priyaB, "The notes", "Saturday mornings clash with football.")
	wantStatus(t, "priya saves from an older version", bt.ClickButton(t, priyaB, "Save the notes"), http.StatusPreconditionFailed)
	if got := bt.Text(t, priyaB, ".error-summary"); !strings.Contains(got, "version 0") || !strings.Contains(got, "version 1") {
		t.Errorf("the stale save's message: %q", got)
	}
	if got := bt.FieldValue(t, priyaB, "The notes"); got != "Saturday mornings clash with football." {
		t.Errorf("priya's words were lost: %q", got)
	}
	bt.CheckA11y(t, priyaB, "dialogue (notes saved by someone else)")
	bt.Fill(t, priyaB, "The notes", "We began with who does not come, and why. Saturday mornings clash with football.")
	wantStatus(t, "priya saves again", bt.ClickButton(t, priyaB, "Save the notes"), http.StatusOK)

	// Actions: one for Priya, one for Tom (dropped, with a reason).
	bt.Fill(t, priyaB, "What will be done", "Ask the football coach about Sunday")
	selectOption(t, priyaB, "Who owns it", "Priya Shah")
	setValue(t, priyaB, "By when (optional)", "2027-01-15")
	wantStatus(t, "add an action", bt.ClickButton(t, priyaB, "Add the action"), http.StatusOK)
	bt.Fill(t, priyaB, "What will be done", "Run a survey at the school gate")
	selectOption(t, priyaB, "Who owns it", "Tom Reilly")
	wantStatus(t, "add another", bt.ClickButton(t, priyaB, "Add the action"), http.StatusOK)
	wantStatus(t, "tom reloads", bt.Navigate(t, ctx, path), http.StatusOK)
	selectOption(t, ctx, "Status of “Run a survey at the school gate”", "Dropped")
	wantStatus(t, "drop without a reason", bt.ClickButton(t, ctx, "Update “Run a survey at the school gate”"), http.StatusUnprocessableEntity)
	if got := bt.Text(t, ctx, ".error-summary"); !strings.Contains(got, "The reason for dropping it is required") {
		t.Errorf("dropping without a reason: %q", got)
	}
	bt.CheckA11y(t, ctx, "dialogue (drop without a reason)")
	selectOption(t, ctx, "Status of “Run a survey at the school gate”", "Dropped")
	bt.Fill(t, ctx, "If dropped, why (“Run a survey at the school gate”)", "Parents told us they are surveyed enough.")
	wantStatus(t, "drop with a reason", bt.ClickButton(t, ctx, "Update “Run a survey at the school gate”"), http.StatusOK)
	if got := bt.Text(t, ctx, "section[aria-labelledby=actions-title]"); !strings.Contains(got, "Dropped: Parents told us they are surveyed enough.") {
		t.Errorf("the dropped action: %q", got)
	}

	// An issue goes up; the steward answers it.
	bt.Fill(t, priyaB, "Pass an issue up to the fund's stewards", "Could the fund pay for Sunday pitch hire?")
	wantStatus(t, "pass it up", bt.ClickButton(t, priyaB, "Pass it up"), http.StatusOK)
	issues := fmt.Sprintf("%s/funds/%d/issues", env.URL, fund)
	wantStatus(t, "the steward's issues", bt.Navigate(t, amaraB, issues), http.StatusOK)
	if got := bt.Text(t, amaraB, "main"); !strings.Contains(got, "Could the fund pay for Sunday pitch hire?") ||
		strings.Contains(got, "Saturday mornings clash") {
		t.Errorf("the issues page: %q", got)
	}
	bt.CheckA11y(t, amaraB, "issues passed up")
	purpose := "How do we hear the young people who do not come?"
	bt.Fill(t, amaraB, "Your answer to the issue from “"+purpose+"”", "Yes, until March: send us the invoice.")
	wantStatus(t, "answer", bt.ClickButton(t, amaraB, "Send the answer to the issue from “"+purpose+"”"), http.StatusOK)
	wantText(t, amaraB, ".notice[role=status]", "Your answer is sent. It cannot be changed.")
	bt.CheckA11y(t, amaraB, "issues passed up (answered)")
	wantStatus(t, "tom reads the answer", bt.Navigate(t, ctx, path), http.StatusOK)
	if got := bt.Text(t, ctx, "section[aria-labelledby=issues-title]"); !strings.Contains(got, "Yes, until March") {
		t.Errorf("the answer in the dialogue: %q", got)
	}
	bt.CheckA11y(t, ctx, "dialogue (actions, issue answered)")
	bt.Screenshot(t, ctx, "dialogue-full")

	// A follow-up opens with the action still open.
	wantStatus(t, "start a follow-up", bt.FollowLink(t, ctx, "Convene a follow-up"), http.StatusOK)
	bt.Fill(t, ctx, "What is it for?", "Did Sundays work?")
	setValue(t, ctx, "When do you meet?", "2027-02-04")
	clickLabel(t, ctx, fmt.Sprintf("invitee-%d", priya.ID))
	wantStatus(t, "convene the follow-up", bt.ClickButton(t, ctx, "Convene the dialogue"), http.StatusOK)
	got := bt.Text(t, ctx, "section[aria-labelledby=earlier-title]")
	if !strings.Contains(got, "Ask the football coach about Sunday") || strings.Contains(got, "Run a survey") {
		t.Errorf("the follow-up's carried actions: %q", got)
	}
	bt.CheckA11y(t, ctx, "dialogue (follow-up)")

	// Priya finds the action among her own.
	wantStatus(t, "priya's actions", bt.Navigate(t, priyaB, env.URL+"/me/actions"), http.StatusOK)
	if got := bt.Text(t, priyaB, "section[aria-labelledby=open-title]"); !strings.Contains(got, "Ask the football coach about Sunday") {
		t.Errorf("priya's actions: %q", got)
	}
	bt.CheckA11y(t, priyaB, "my actions")
	bt.Screenshot(t, priyaB, "my-actions")
}
