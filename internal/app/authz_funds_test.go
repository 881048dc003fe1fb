package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/user"
)

// The funds cast: stewards of four funds (F and E drafts, G open, H for
// status moves), a member of the funder who is not a steward, a panel
// member and a learning partner of F, a plain user, an administrator.
var fundRows = map[string][]access{
	"GET /api/v1/funds": {
		{"anonymous", "/api/v1/funds", "", 200},
		{"user", "/api/v1/funds", "", 200},
	},
	"POST /api/v1/funds": {
		{"anonymous", "/api/v1/funds", `{FUND}`, 401},
		{"user", "/api/v1/funds", `{FUND}`, 403},          // not a member of the funder
		{"panel", "/api/v1/funds", `{FUND}`, 403},         // a role in a fund is not membership
		{"funder-member", "/api/v1/funds", `{FUND}`, 201}, // member of the funder organisation
		{"admin", "/api/v1/funds", `{FUND}`, 201},
	},
	"GET /api/v1/funds/:id": {
		{"anonymous", "/api/v1/funds/{F}", "", 404}, // a draft is unknown
		{"user", "/api/v1/funds/{F}", "", 404},
		{"panel", "/api/v1/funds/{F}", "", 404},
		{"steward", "/api/v1/funds/{F}", "", 200},
		{"steward", "/api/v1/funds/{F2}", "", 404}, // a draft of another steward
		{"anonymous", "/api/v1/funds/{G}", "", 200},
		{"anonymous", "/api/v1/funds/999999", "", 404},
	},
	"PATCH /api/v1/funds/:id": {
		{"anonymous", "/api/v1/funds/{G}", `{EDIT1}`, 401},
		{"user", "/api/v1/funds/{G}", `{EDIT1}`, 403},
		{"panel", "/api/v1/funds/{G}", `{EDIT1}`, 403},
		{"admin", "/api/v1/funds/{G}", `{EDIT1}`, 403}, // administrators are not stewards
		{"steward", "/api/v1/funds/{G}", `{EDIT1}`, 200},
		{"steward", "/api/v1/funds/{G}", `{EDIT1}`, 412}, // the same version again: stale
	},
	"POST /api/v1/funds/:id/status": {
		{"anonymous", "/api/v1/funds/{H}/status", `{"status":"open"}`, 401},
		{"user", "/api/v1/funds/{H}/status", `{"status":"open"}`, 403},
		{"steward", "/api/v1/funds/{H}/status", `{"status":"active"}`, 409}, // draft cannot become active
		{"steward", "/api/v1/funds/{H}/status", `{"status":"open"}`, 200},
	},
	"GET /api/v1/funds/:id/stages": {
		{"anonymous", "/api/v1/funds/{G}/stages", "", 200},
		{"anonymous", "/api/v1/funds/{F}/stages", "", 404},
		{"steward", "/api/v1/funds/{F}/stages", "", 200},
	},
	"POST /api/v1/funds/:id/stages": {
		{"anonymous", "/api/v1/funds/{G}/stages", `{"stage":"understanding","reason":"r"}`, 401},
		{"user", "/api/v1/funds/{G}/stages", `{"stage":"understanding","reason":"r"}`, 403},
		{"steward", "/api/v1/funds/{G}/stages", `{"stage":"understanding","reason":""}`, 422},
		{"steward", "/api/v1/funds/{G}/stages", `{"stage":"understanding","reason":"we met the panel"}`, 200},
	},
	"GET /api/v1/funds/:id/principles": {
		{"anonymous", "/api/v1/funds/{G}/principles", "", 200},
		{"anonymous", "/api/v1/funds/{F}/principles", "", 404},
	},
	"POST /api/v1/funds/:id/principles": {
		{"anonymous", "/api/v1/funds/{G}/principles", `{"principles":["x"]}`, 401},
		{"panel", "/api/v1/funds/{F}/principles", `{"principles":["x"]}`, 403},
		{"steward", "/api/v1/funds/{F}/principles", `{"principles":["Trust", "Share power"]}`, 201},
	},
	"GET /api/v1/funds/:id/roles": {
		{"anonymous", "/api/v1/funds/{F}/roles", "", 401},
		{"user", "/api/v1/funds/{F}/roles", "", 403},
		{"partner", "/api/v1/funds/{F}/roles", "", 403},
		{"steward", "/api/v1/funds/{F}/roles", "", 200},
	},
	"POST /api/v1/funds/:id/roles": {
		{"anonymous", "/api/v1/funds/{F}/roles", `{"user_id":{USER},"role":"panel_member"}`, 401},
		{"user", "/api/v1/funds/{F}/roles", `{"user_id":{USER},"role":"panel_member"}`, 403},
		{"steward", "/api/v1/funds/{F}/roles", `{"user_id":{USER},"role":"grantee"}`, 422}, // grantees come from grants
		{"steward", "/api/v1/funds/{F}/roles", `{"user_id":{USER},"role":"panel_member"}`, 204},
	},
	"DELETE /api/v1/funds/:id/roles": {
		{"anonymous", "/api/v1/funds/{F}/roles", `{"user_id":{PANEL},"role":"panel_member"}`, 401},
		{"panel", "/api/v1/funds/{F}/roles", `{"user_id":{PANEL},"role":"panel_member"}`, 403},
		{"steward", "/api/v1/funds/{F}/roles", `{"user_id":{STEWARD},"role":"steward"}`, 409}, // the last steward
		{"steward", "/api/v1/funds/{F}/roles", `{"user_id":{PANEL},"role":"panel_member"}`, 204},
	},
	"POST /api/v1/funds/:id/invitations": {
		{"anonymous", "/api/v1/funds/{F}/invitations", `{"email":"new1@example.org","role":"panel_member"}`, 401},
		{"user", "/api/v1/funds/{F}/invitations", `{"email":"new2@example.org","role":"panel_member"}`, 403},
		{"steward", "/api/v1/funds/{F}/invitations", `{"email":"new3@example.org","role":"panel_member"}`, 201},
	},

	// Pages.
	"GET /funds/new": {
		{"anonymous", "/funds/new", "", 303},
		{"user", "/funds/new", "", 403},
		{"funder-member", "/funds/new", "", 200},
	},
	"POST /funds": {
		{"anonymous", "/funds", "{FUNDFORM}", 303},
		{"user", "/funds", "{FUNDFORM}", 403},
		{"funder-member", "/funds", "{FUNDFORM}", 303},
		{"funder-member", "/funds", "organisation_id={FUNDER}&name=", 422},
	},
	"GET /funds/:id": {
		{"anonymous", "/funds/{F}", "", 404},
		{"panel", "/funds/{F}", "", 404},
		{"steward", "/funds/{F}", "", 200},
		{"anonymous", "/funds/{G}", "", 200},
	},
	"GET /funds/:id/edit": {
		{"anonymous", "/funds/{G}/edit", "", 303},
		{"user", "/funds/{G}/edit", "", 403},
		{"user", "/funds/{E}/edit", "", 404},
		{"steward", "/funds/{E}/edit", "", 200},
	},
	"POST /funds/:id/edit": {
		{"user", "/funds/{G}/edit", "{EDITFORM}", 403},
		{"steward", "/funds/{E}/edit", "{EDITFORM}", 303},
	},
	"POST /funds/:id/stage": {
		{"user", "/funds/{G}/stage", "stage=co_design&reason=r", 403},
		{"steward", "/funds/{E}/stage", "stage=co_design&reason=", 422},
		{"steward", "/funds/{E}/stage", "stage=co_design&reason=the+panel+asked", 303},
	},
	"POST /funds/:id/status": {
		{"user", "/funds/{G}/status", "status=closed", 403},
		{"steward", "/funds/{H}/status", "status=draft", 409},
		{"steward", "/funds/{H}/status", "status=active", 303},
	},
	"GET /funds/:id/principles": {
		{"anonymous", "/funds/{G}/principles", "", 200},
		{"anonymous", "/funds/{F}/principles", "", 404},
	},
	"GET /funds/:id/roles": {
		{"anonymous", "/funds/{G}/roles", "", 303},
		{"user", "/funds/{G}/roles", "", 403},
		{"steward", "/funds/{F}/roles", "", 200},
	},
	"POST /funds/:id/roles": {
		{"user", "/funds/{G}/roles", "email=x@example.org&role=panel_member", 403},
		{"steward", "/funds/{F}/roles", "email={USEREMAIL}&role=learning_partner", 200},
		{"steward", "/funds/{F}/roles", "email=someone.new@example.org&role=panel_member", 200},
	},
	"POST /funds/:id/roles/revoke": {
		{"user", "/funds/{G}/roles/revoke", "user_id={PARTNER}&role=learning_partner", 403},
		{"steward", "/funds/{F}/roles/revoke", "user_id={PARTNER}&role=learning_partner", 303},
	},
}

func init() { registerArea("funds", fundRows) }

func TestFundsAuthorization(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	people := map[string]user.User{}
	for _, who := range []string{"user", "funder-member", "steward", "steward2", "panel", "partner", "admin"} {
		people[who] = env.CreateUser(t, who)
	}
	funder := env.CreateOrg(t, "Riverside Foundation", org.Funder, people["funder-member"], people["steward"])
	env.Grant(t, people["admin"], authz.Admin, authz.Installation)
	mk := func(name, steward string) fund.Fund {
		f, err := env.Svc.Funds.Create(ctx, people[steward].ID, fund.NewFund{OrganisationID: funder.ID, Currency: "GBP",
			Principles: []string{"Trust people"}, Details: fund.Details{Name: name, PurposeFlourishing: "belonging",
				PurposeWhom: "neighbours", PurposeWhere: "Eastfield", BudgetMinor: 100000, SystemScale: "place"}})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	F, F2, G, E, H := mk("F", "steward"), mk("F2", "steward2"), mk("G", "steward"), mk("E", "steward"), mk("H", "steward")
	if _, err := env.Svc.Funds.ChangeStatus(ctx, people["steward"].ID, G.ID, fund.Open); err != nil {
		t.Fatal(err)
	}
	env.Grant(t, people["panel"], authz.PanelMember, authz.FundDomain(F.ID))
	env.Grant(t, people["partner"], authz.LearningPartner, authz.FundDomain(F.ID))
	if len(env.Svc.Authz.RolesIn(people["steward"].ID, authz.FundDomain(F.ID))) == 0 {
		t.Fatal("the creator's steward role is not applied once Create returns")
	}

	tokens, browsers := map[string]string{}, map[string]*apptest.Browser{"anonymous": env.NewBrowser(t)}
	for who, u := range people {
		tokens[who] = env.Token(t, u)
		b := env.NewBrowser(t)
		b.SignIn(t, u)
		browsers[who] = b
	}
	id := func(n int64) string { return fmt.Sprint(n) }
	fundJSON := fmt.Sprintf(`{"organisation_id":%d,"name":"New","purpose_flourishing":"a","purpose_whom":"b","purpose_where":"c","budget_minor":1,"currency":"GBP","system_scale":"place","principles":[]}`, funder.ID)
	edit1 := `{"version":1,"name":"G renamed","purpose_flourishing":"a","purpose_whom":"b","purpose_where":"c","budget_minor":5,"system_scale":"place"}`
	// G's version is 2 after opening it.
	edit1 = strings.Replace(edit1, `"version":1`, `"version":2`, 1)
	expand := strings.NewReplacer(
		"{FUND}", fundJSON, "{EDIT1}", edit1,
		"{FUNDFORM}", "organisation_id="+id(funder.ID)+"&name=Page+fund&purpose_flourishing=a&purpose_whom=b&purpose_where=c&budget=1000&currency=GBP&system_scale=place&principles=Trust",
		"{EDITFORM}", "version=1&name=E+renamed&purpose_flourishing=a&purpose_whom=b&purpose_where=c&budget=2000&system_scale=place&principles=Trust",
		"{FUNDER}", id(funder.ID), "{F2}", id(F2.ID), "{F}", id(F.ID), "{G}", id(G.ID), "{E}", id(E.ID), "{H}", id(H.ID),
		"{USEREMAIL}", people["user"].Email, "{USER}", id(people["user"].ID), "{PANEL}", id(people["panel"].ID),
		"{STEWARD}", id(people["steward"].ID), "{PARTNER}", id(people["partner"].ID),
	).Replace
	runTable(t, env, fundRows, expand, tokens, browsers)
}
