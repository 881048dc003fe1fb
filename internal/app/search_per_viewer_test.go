package app_test

import (
	"net/url"
	"sort"
	"strings"
	"testing"
)

// TestSearchDiffersPerViewer sends the same queries through the API as
// every kind of reader and checks that each finds exactly what their
// reading rights say: account sections by visibility and ownership,
// stories by consent, the fund's response, dialogue notes (participants
// who have not declined, latest version only) and syntheses (drafts for
// stewards and learning partners). A story found a moment ago is found by
// nobody once its consent is withdrawn, its author included.
func TestSearchDiffersPerViewer(t *testing.T) {
	ac := newSearchCast(t)
	everyone := []string{"steward", "partner", "grantee", "grantee2", "other-grantee", "member", "user", "steward-other", "anonymous"}
	owners := []string{"steward", "partner", "grantee", "grantee2"}
	peers := append([]string{"other-grantee", "member"}, owners...)
	nobody := []string{}
	want := map[string][]string{
		"worker":    owners,   // markPartner: funder and partner only
		"Saturday":  peers,    // markPeers
		"planning":  everyone, // markPublic
		"Amira":     everyone, // a story with consent for every purpose
		"Sam":       nobody,   // a story whose consent has ended
		"brother":   peers,    // a story with consent for learning within the fund
		"wonderful": owners,   // the fund's response
		"forms":     peers,    // the funder's reflection, shared with peers
		"flopped":   owners,   // {private}
		"slow":      nobody,   // notes of a conversation still waiting
		"lantern":   {"grantee", "other-grantee", "steward"},
		"kite":      nobody, // the notes' earlier version
		"orchard":   everyone,
		"meadow":    {"steward", "partner"},
	}
	finders := func(q string) []string {
		var out []string
		for _, who := range everyone {
			r := ac.env.Do(t, "GET", ac.expand("/api/v1/funds/{fund}/search?q="+url.QueryEscape(q)), ac.tokens[who], nil)
			if r.Status != 200 {
				t.Fatalf("%s searching %q: %d %s", who, q, r.Status, r.Body)
			}
			var res struct {
				Items []struct{ Snippet string }
				Total int
			}
			r.JSON(t, &res)
			if res.Total != len(res.Items) {
				t.Errorf("%s searching %q: total %d, %d results", who, q, res.Total, len(res.Items))
			}
			if res.Total > 0 {
				out = append(out, who)
			}
			for _, it := range res.Items {
				if !strings.Contains(strings.ToLower(it.Snippet), strings.ToLower(q)) {
					t.Errorf("%s searching %q: snippet %q", who, q, it.Snippet)
				}
			}
		}
		sort.Strings(out)
		return out
	}
	same := func(a, b []string) bool {
		b = append([]string(nil), b...)
		sort.Strings(b)
		return strings.Join(a, ",") == strings.Join(b, ",")
	}
	// The story about Jo is found by its readers until consent is
	// withdrawn, then by nobody.
	if got := finders("Jo"); !same(got, everyone) {
		t.Errorf("before withdrawal, %q is found by %v", "Jo", got)
	}
	if r := ac.env.Do(t, "POST", ac.expand("/api/v1/accounts/{submitted}/stories/{storyWithdrawn}/withdraw"), ac.tokens["grantee2"], nil); r.Status != 204 {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	want["Jo"] = nobody
	for q, w := range want {
		if got := finders(q); !same(got, w) {
			t.Errorf("%q is found by %v, want %v", q, got, w)
		}
	}
	// The page shows the same: a peer finds what is shared, not what is
	// private, and the words found are marked, escaped.
	page := string(ac.browsers["other-grantee"].Get(t, ac.expand("/funds/{fund}/search?q=Saturday")).Body)
	if !strings.Contains(page, "<mark>Saturday</mark>") || !strings.Contains(page, ac.expand("/accounts/{submitted}#s-what_we_tried")) {
		t.Errorf("a peer's search page does not show the shared section:\n%.2000s", page)
	}
	page = string(ac.browsers["other-grantee"].Get(t, ac.expand("/funds/{fund}/search?q=worker")).Body)
	if strings.Contains(page, "youth worker") || !strings.Contains(page, "Nothing found") {
		t.Errorf("a peer's search page shows a private section:\n%.2000s", page)
	}
}
