// Package applicationtest makes the rows that application tests stand on —
// funds, rounds in a given state and window, applications and panel
// declarations — with plain SQL, so the tests depend on the schema alone
// and not on the fund, round and panel services.
package applicationtest

import (
	"testing"
	"time"

	"gorm.io/gorm"
)

// Fund makes an open fund in GBP of a new funder organisation and returns
// its id.
func Fund(t testing.TB, db *gorm.DB, name string) int64 {
	t.Helper()
	var orgID, fundID int64
	must(t, db.Raw(`INSERT INTO organisations (name, kind) VALUES (?, 'funder') RETURNING id`, name+" funder").Scan(&orgID).Error)
	must(t, db.Raw(`
		INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where,
		                   budget_minor, currency, system_scale, status)
		VALUES (?, ?, 'belonging', 'young people', 'Riverside', 10000000, 'GBP', 'place', 'open')
		RETURNING id`, orgID, name).Scan(&fundID).Error)
	return fundID
}

// Window is a round's application window.
type Window struct{ Open, Close time.Time }

// OpenNow is a window that opened yesterday and closes in a week.
func OpenNow() Window {
	now := time.Now().UTC()
	return Window{Open: now.Add(-24 * time.Hour), Close: now.Add(7 * 24 * time.Hour)}
}

// ClosedNow is a window that closed yesterday.
func ClosedNow() Window {
	now := time.Now().UTC()
	return Window{Open: now.Add(-14 * 24 * time.Hour), Close: now.Add(-24 * time.Hour)}
}

// Round makes a round of the fund in the given state with the given
// application window and a budget of £50,000, and returns its id.
func Round(t testing.TB, db *gorm.DB, fundID int64, state string, w Window) int64 {
	t.Helper()
	var id int64
	must(t, db.Raw(`
		INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at,
		                    voting_open_at, voting_close_at, method, rule, quorum, tie_break, state)
		VALUES (?, 'Spring round', 5000000, ?, ?, ?, ?, 'approval', 'greedy', 1, 'lower_cost', ?)
		RETURNING id`, fundID, w.Open, w.Close, w.Close.Add(7*24*time.Hour), w.Close.Add(14*24*time.Hour), state).Scan(&id).Error)
	return id
}

// SetRoundState moves a round to a state directly.
func SetRoundState(t testing.TB, db *gorm.DB, roundID int64, state string) {
	t.Helper()
	must(t, db.Exec(`UPDATE rounds SET state = ? WHERE id = ?`, state, roundID).Error)
}

// Application inserts a submitted application of orgID to the round and
// returns its id.
func Application(t testing.TB, db *gorm.DB, roundID, orgID int64, title string) int64 {
	t.Helper()
	var id int64
	must(t, db.Raw(`
		INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn,
		                          amount_minor, budget_summary)
		SELECT r.id, r.fund_id, ?, ?, 'Whether a shared kitchen helps neighbours meet.',
		       'Families on the Riverside estate.', 'Monthly conversations, written up together.',
		       500000, 'Rent 3,000; food 2,000.'
		FROM rounds r WHERE r.id = ?
		RETURNING id`, orgID, title, roundID).Scan(&id).Error)
	return id
}

// Declare records a panel member's declaration on an application: "none",
// "disclosed" or "recused".
func Declare(t testing.TB, db *gorm.DB, applicationID, userID int64, kind string) {
	t.Helper()
	note := ""
	if kind != "none" {
		note = "I know the organisation's coordinator."
	}
	must(t, db.Exec(`
		INSERT INTO declarations (round_id, application_id, user_id, kind, note)
		SELECT round_id, id, ?, ?, ? FROM applications WHERE id = ?`, userID, kind, note, applicationID).Error)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// FundOf makes an active fund in GBP of the funder organisation orgID,
// with a budget of £500,000, and returns its id.
func FundOf(t testing.TB, db *gorm.DB, orgID int64, name string) int64 {
	t.Helper()
	var id int64
	must(t, db.Raw(`
		INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where,
		                   budget_minor, currency, system_scale, status)
		VALUES (?, ?, 'belonging', 'young people', 'Riverside', 50000000, 'GBP', 'place', 'active')
		RETURNING id`, orgID, name).Scan(&id).Error)
	return id
}

// PastRound makes a round of the fund whose applications and voting
// closed weeks ago, in state ("review", "closed" or "decided"), and
// returns its id.
func PastRound(t testing.TB, db *gorm.DB, fundID int64, state string) int64 {
	t.Helper()
	now := time.Now().UTC()
	return Round(t, db, fundID, state, Window{Open: now.AddDate(0, 0, -120), Close: now.AddDate(0, 0, -100)})
}

// Day is the date offset days from today, as YYYY-MM-DD.
func Day(offset int) string { return time.Now().UTC().AddDate(0, 0, offset).Format(time.DateOnly) }

// Grant makes what a final decision leaves for one organisation: its
// application to the round and a grant of amountMinor, from startsOn to
// endsOn (YYYY-MM-DD). It returns the application's id and the grant's.
func Grant(t testing.TB, db *gorm.DB, roundID, orgID int64, title string, amountMinor int64, startsOn, endsOn string) (appID, grantID int64) {
	t.Helper()
	appID = Application(t, db, roundID, orgID, title)
	must(t, db.Exec(`UPDATE applications SET amount_minor = ? WHERE id = ?`, amountMinor, appID).Error)
	must(t, db.Raw(`
		INSERT INTO grants (fund_id, round_id, application_id, organisation_id, title, amount_minor, starts_on, ends_on)
		SELECT fund_id, round_id, id, organisation_id, title, amount_minor, ?, ? FROM applications WHERE id = ?
		RETURNING id`, startsOn, endsOn, appID).Scan(&grantID).Error)
	return appID, grantID
}
