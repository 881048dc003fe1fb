package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/user"
)

// castResult is one PUT of a ballot as its client saw it.
type castResult struct {
	status    int
	version   int
	approvals []int64
}

// 50 panel members cast and revise their ballots at once through the API,
// each from two clients racing each other, with a refused revision among
// the accepted ones. Afterwards each member has exactly one ballot, whose
// version counts their accepted revisions and whose contents are those of
// the revision with the highest version; and the approvals per application
// counted from the clients' answers equal a recount of the ballots table.
func TestBallotConcurrency(t *testing.T) {
	const (
		members       = 50
		clientsEach   = 2
		revisionsEach = 4 // per client; the third is refused
		applications  = 6
	)
	env := apptest.New(t)
	ctx := t.Context()
	steward := env.CreateUser(t, "steward")
	applicant := env.CreateOrg(t, "Hillside Youth Club", org.Applicant)
	fundID := applicationtest.Fund(t, env.DB, "Neighbourhood Fund")
	var roundID int64
	if err := env.DB.Raw(`INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at,
		voting_open_at, voting_close_at, method, rule, quorum, tie_break, state) VALUES (?, 'Spring round', 1000000,
		now() - interval '30 days', now() - interval '10 days', now() - interval '10 days', now() + interval '10 days',
		'approval', 'mes_cost_add1_greedy', 0, 'lower_cost', 'review') RETURNING id`, fundID).Scan(&roundID).Error; err != nil {
		t.Fatal(err)
	}
	apps := make([]int64, applications)
	for i := range apps {
		apps[i] = applicationtest.Application(t, env.DB, roundID, applicant.ID, fmt.Sprintf("Application %d", i+1))
	}
	env.Grant(t, steward, authz.Steward, authz.FundDomain(fundID))
	people := make([]user.User, members)
	tokens := make([]string, members)
	for i := range people {
		people[i] = env.CreateUser(t, fmt.Sprintf("member %d", i+1))
		if _, err := env.Svc.Panels.AddMember(ctx, steward.ID, fundID, panel.NewMember{UserID: people[i].ID, Role: panel.Member, ChosenBy: "lottery"}); err != nil {
			t.Fatal(err)
		}
		for _, a := range apps {
			applicationtest.Declare(t, env.DB, a, people[i].ID, "none")
		}
		tokens[i] = env.Token(t, people[i])
	}
	for _, p := range people {
		waitForRole(t, env, p.ID, authz.Role(panel.SeatRoles[panel.Member]), fundID)
	}
	applicationtest.SetRoundState(t, env.DB, roundID, "voting")

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: members * clientsEach}}
	t.Cleanup(client.CloseIdleConnections)
	url := fmt.Sprintf("%s/api/v1/rounds/%d/ballot", env.URL, roundID)
	put := func(token string, body []byte) (castResult, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, strings.NewReader(string(body)))
		if err != nil {
			return castResult{}, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return castResult{}, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return castResult{}, err
		}
		res := castResult{status: resp.StatusCode}
		if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated {
			var out struct {
				Version   int     `json:"version"`
				Approvals []int64 `json:"approvals"`
			}
			if err := json.Unmarshal(b, &out); err != nil {
				return res, fmt.Errorf("decode %s: %w", b, err)
			}
			res.version, res.approvals = out.Version, out.Approvals
		}
		return res, nil
	}

	results := make([][]castResult, members) // each member's, guarded by mu
	var mu sync.Mutex
	var errs []string
	var wg sync.WaitGroup
	start := make(chan struct{})
	for m := range members {
		for cl := range clientsEach {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(m), uint64(cl)))
				<-start
				for rev := range revisionsEach {
					approvals := []int64{}
					for _, a := range apps {
						if rng.IntN(2) == 0 {
							approvals = append(approvals, a)
						}
					}
					want := http.StatusOK
					if rev == 2 { // refused: an application not in the round
						approvals = append(approvals, 999999)
						want = http.StatusUnprocessableEntity
					}
					body, _ := json.Marshal(map[string][]int64{"approvals": approvals})
					res, err := put(tokens[m], body)
					mu.Lock()
					switch {
					case err != nil:
						errs = append(errs, fmt.Sprintf("member %d: %v", m, err))
					case res.status != want && !(want == http.StatusOK && res.status == http.StatusCreated):
						errs = append(errs, fmt.Sprintf("member %d revision %d: status %d, want %d", m, rev, res.status, want))
					case want == http.StatusOK && !slices.Equal(res.approvals, approvals):
						errs = append(errs, fmt.Sprintf("member %d revision %d: answered %v, sent %v", m, rev, res.approvals, approvals))
					}
					results[m] = append(results[m], res)
					mu.Unlock()
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d request(s) went wrong:\n%s", len(errs), strings.Join(errs, "\n"))
	}

	// Exactly one ballot per member.
	var perUser []struct {
		UserID int64
		N      int
	}
	if err := env.DB.Raw(`SELECT user_id, count(*) AS n FROM ballots WHERE round_id = ? GROUP BY user_id`, roundID).Scan(&perUser).Error; err != nil {
		t.Fatal(err)
	}
	if len(perUser) != members {
		t.Fatalf("%d members have ballots, want %d", len(perUser), members)
	}
	for _, row := range perUser {
		if row.N != 1 {
			t.Errorf("user %d has %d ballots", row.UserID, row.N)
		}
	}

	// Each holds the member's last accepted ballot: the answer with the
	// highest version, versions running 1..n without a gap or a repeat,
	// one of them the creation.
	stored := map[int64]struct {
		Version   int
		Approvals []int64
	}{}
	var rows []struct {
		UserID   int64
		Version  int
		Contents string
	}
	if err := env.DB.Raw(`SELECT user_id, version, contents::text AS contents FROM ballots WHERE round_id = ?`, roundID).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		var c struct {
			Approvals []int64 `json:"approvals"`
		}
		if err := json.Unmarshal([]byte(r.Contents), &c); err != nil {
			t.Fatal(err)
		}
		stored[r.UserID] = struct {
			Version   int
			Approvals []int64
		}{r.Version, c.Approvals}
	}
	tally := map[int64]int{} // from the clients' answers
	for m, rs := range results {
		var versions []int
		var last castResult
		created := 0
		for _, r := range rs {
			if r.status == http.StatusUnprocessableEntity {
				continue
			}
			if r.status == http.StatusCreated {
				created++
			}
			versions = append(versions, r.version)
			if r.version > last.version {
				last = r
			}
		}
		slices.Sort(versions)
		accepted := clientsEach * (revisionsEach - 1)
		want := make([]int, accepted)
		for i := range want {
			want[i] = i + 1
		}
		if !slices.Equal(versions, want) {
			t.Errorf("member %d: versions answered %v, want 1..%d", m, versions, accepted)
		}
		if created != 1 {
			t.Errorf("member %d: %d answers said created, want 1", m, created)
		}
		s, ok := stored[people[m].ID]
		if !ok || s.Version != last.version || !slices.Equal(s.Approvals, last.approvals) {
			t.Errorf("member %d: stored version %d %v, last answered version %d %v", m, s.Version, s.Approvals, last.version, last.approvals)
		}
		for _, a := range last.approvals {
			tally[a]++
		}
	}

	// A recount from the stored ballots equals the tally of the answers.
	var recount []struct {
		App int64
		N   int
	}
	if err := env.DB.Raw(`SELECT a.value::bigint AS app, count(*) AS n
		FROM ballots b CROSS JOIN LATERAL jsonb_array_elements_text(b.contents->'approvals') AS a(value)
		WHERE b.round_id = ? GROUP BY 1`, roundID).Scan(&recount).Error; err != nil {
		t.Fatal(err)
	}
	got := map[int64]int{}
	for _, r := range recount {
		got[r.App] = r.N
	}
	for _, a := range apps {
		if got[a] != tally[a] {
			t.Errorf("application %d: recount %d approvals, the answers say %d", a, got[a], tally[a])
		}
	}
	if len(got) > len(apps) {
		t.Errorf("the recount names applications outside the round: %v", got)
	}
	t.Logf("tally of approvals per application: %v", tally)

	// And the API agrees: turnout counts every member once.
	r := env.Do(t, http.MethodGet, fmt.Sprintf("/api/v1/rounds/%d/turnout", roundID), env.Token(t, steward), nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), fmt.Sprintf(`"voted":%d`, members)) {
		t.Errorf("turnout: %d %s", r.Status, r.Body)
	}
}
