package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/agreement"
	"github.com/humblehq/humble/internal/authz"
)

// The agreements' cast is the decisions' (see newDecisionCast) with a
// learning partner of the fund added, and four grants:
//
//	{grant}       the applicant's: version 1 signed, version 2 a draft (revision 1)
//	{grant2}      the applicant's: no agreement yet
//	{grant3}      the applicant's: version 1 signed, no draft
//	{othergrant}  the other applicant's: version 1 a draft from the template (incomplete)
//
// "applicant" and "other-applicant" hold the grantee role in the fund,
// each for their own organisation's grants.
var agreementRows = map[string][]access{
	"GET /api/v1/grants/:id/agreement": {
		{"anonymous", "/api/v1/grants/{grant}/agreement", "", 401},
		{"user", "/api/v1/grants/{grant}/agreement", "", 403},
		{"member", "/api/v1/grants/{grant}/agreement", "", 403}, // the panel has no part in it
		{"other-applicant", "/api/v1/grants/{grant}/agreement", "", 403},
		{"applicant", "/api/v1/grants/{othergrant}/agreement", "", 403},
		{"member-other", "/api/v1/grants/{grant}/agreement", "", 403},
		{"applicant", "/api/v1/grants/{grant}/agreement", "", 200},
		{"steward", "/api/v1/grants/{grant}/agreement", "", 200},
		{"partner", "/api/v1/grants/{grant}/agreement", "", 200},
		{"steward", "/api/v1/grants/{grant2}/agreement", "", 404}, // none yet
		{"steward", "/api/v1/grants/999999/agreement", "", 404},
	},
	"GET /api/v1/grants/:id/agreement/versions": {
		{"anonymous", "/api/v1/grants/{grant}/agreement/versions", "", 401},
		{"user", "/api/v1/grants/{grant}/agreement/versions", "", 403},
		{"other-applicant", "/api/v1/grants/{grant}/agreement/versions", "", 403},
		{"applicant", "/api/v1/grants/{grant}/agreement/versions", "", 200},
		{"partner", "/api/v1/grants/{grant}/agreement/versions", "", 200},
		{"steward", "/api/v1/grants/{grant2}/agreement/versions", "", 404},
	},
	"GET /api/v1/grants/:id/agreement/versions/:number": {
		{"anonymous", "/api/v1/grants/{grant}/agreement/versions/1", "", 401},
		{"user", "/api/v1/grants/{grant}/agreement/versions/1", "", 403},
		{"other-applicant", "/api/v1/grants/{grant}/agreement/versions/1", "", 403},
		{"applicant", "/api/v1/grants/{grant}/agreement/versions/1", "", 200},
		{"partner", "/api/v1/grants/{grant}/agreement/versions/2", "", 200},
		{"steward", "/api/v1/grants/{grant}/agreement/versions/9", "", 404},
		{"steward", "/api/v1/grants/{grant}/agreement/versions/first", "", 404},
	},
	"GET /api/v1/grants/:id/agreement/versions/:number/changes": {
		{"anonymous", "/api/v1/grants/{grant}/agreement/versions/2/changes", "", 401},
		{"user", "/api/v1/grants/{grant}/agreement/versions/2/changes", "", 403},
		{"other-applicant", "/api/v1/grants/{grant}/agreement/versions/2/changes", "", 403},
		{"applicant", "/api/v1/grants/{grant}/agreement/versions/2/changes", "", 200},
		{"partner", "/api/v1/grants/{grant}/agreement/versions/1/changes", "", 200},
		{"steward", "/api/v1/grants/{grant}/agreement/versions/3/changes", "", 404},
	},
	"POST /api/v1/grants/:id/agreement": {
		{"anonymous", "/api/v1/grants/{grant2}/agreement", "", 401},
		{"user", "/api/v1/grants/{grant2}/agreement", "", 403},
		{"applicant", "/api/v1/grants/{grant2}/agreement", "", 403}, // a grantee starts it by saving a draft
		{"partner", "/api/v1/grants/{grant2}/agreement", "", 403},
		{"member", "/api/v1/grants/{grant2}/agreement", "", 403},
		{"steward", "/api/v1/grants/{grant}/agreement", "", 409},
		{"steward", "/api/v1/grants/{grant2}/agreement", "", 201},
		{"steward", "/api/v1/grants/999999/agreement", "", 404},
	},
	"POST /api/v1/grants/:id/agreement/draft/sign": {
		{"anonymous", "/api/v1/grants/{grant}/agreement/draft/sign", `{"revision":1}`, 401},
		{"user", "/api/v1/grants/{grant}/agreement/draft/sign", `{"revision":1}`, 403},
		{"partner", "/api/v1/grants/{grant}/agreement/draft/sign", `{"revision":1}`, 403},
		{"member", "/api/v1/grants/{grant}/agreement/draft/sign", `{"revision":1}`, 403},
		{"other-applicant", "/api/v1/grants/{grant}/agreement/draft/sign", `{"revision":1}`, 403},
		{"applicant", "/api/v1/grants/{grant}/agreement/draft/sign", `{"revision":7}`, 412},
		{"applicant", "/api/v1/grants/{grant}/agreement/draft/sign", `{"revision":1,"side":"funder"}`, 422},
		{"applicant", "/api/v1/grants/{grant}/agreement/draft/sign", `{}`, 422},
		{"applicant", "/api/v1/grants/{grant}/agreement/draft/sign", `{"revision":1}`, 200},
		{"applicant", "/api/v1/grants/{grant}/agreement/draft/sign", `{"revision":1}`, 409},    // signed already
		{"steward", "/api/v1/grants/{othergrant}/agreement/draft/sign", `{"revision":1}`, 409}, // not complete
		{"steward", "/api/v1/grants/{grant3}/agreement/draft/sign", `{"revision":1}`, 409},     // nothing to sign
		{"steward", "/api/v1/grants/999999/agreement/draft/sign", `{"revision":1}`, 404},
	},
	"POST /api/v1/grants/:id/agreement/renegotiate": {
		{"anonymous", "/api/v1/grants/{grant3}/agreement/renegotiate", "", 401},
		{"user", "/api/v1/grants/{grant3}/agreement/renegotiate", "", 403},
		{"partner", "/api/v1/grants/{grant3}/agreement/renegotiate", "", 403},
		{"other-applicant", "/api/v1/grants/{grant3}/agreement/renegotiate", "", 403},
		{"steward", "/api/v1/grants/{grant}/agreement/renegotiate", "", 409}, // a draft is being written
		{"applicant", "/api/v1/grants/{grant3}/agreement/renegotiate", "", 201},
		{"steward", "/api/v1/grants/{grant3}/agreement/renegotiate", "", 409},
	},
	"PUT /api/v1/grants/:id/agreement/draft": {
		{"anonymous", "/api/v1/grants/{grant}/agreement/draft", `{"revision":1,"content":{}}`, 401},
		{"user", "/api/v1/grants/{grant}/agreement/draft", `{"revision":1,"content":{}}`, 403},
		{"partner", "/api/v1/grants/{grant}/agreement/draft", `{"revision":1,"content":{}}`, 403},
		{"member", "/api/v1/grants/{grant}/agreement/draft", `{"revision":1,"content":{}}`, 403},
		{"other-applicant", "/api/v1/grants/{grant}/agreement/draft", `{"revision":1,"content":{}}`, 403},
		{"applicant", "/api/v1/grants/{othergrant}/agreement/draft", `{"revision":1,"content":{}}`, 403},
		{"applicant", "/api/v1/grants/{grant}/agreement/draft", `{"revision":1,"content":{"learning_signals":[{"name":"Suppers","tells_us":"a","does_not_tell_us":"b","target":40}]}}`, 422},
		{"applicant", "/api/v1/grants/{grant}/agreement/draft", `{"revision":1,"content":{"reflection":{"every_months":0.5}}}`, 422},
		{"applicant", "/api/v1/grants/{grant}/agreement/draft", `{"revision":1,"content":{"kpi":"x"}}`, 422},
		{"applicant", "/api/v1/grants/{grant}/agreement/draft", `{"content":{}}`, 422},
		{"applicant", "/api/v1/grants/{grant}/agreement/draft", `{"revision":0,"content":{}}`, 412},
		{"applicant", "/api/v1/grants/{grant}/agreement/draft", `{"revision":1,"content":{"shared_purpose":"Rewritten together."}}`, 200},
		{"steward", "/api/v1/grants/{grant}/agreement/draft", `{"revision":1,"content":{"shared_purpose":"Mine."}}`, 412},
		{"steward", "/api/v1/grants/{grant2}/agreement/draft", `{"revision":1,"content":{"why_we_funded_you":"Because."}}`, 200},
		{"other-applicant", "/api/v1/grants/{othergrant}/agreement/draft", `{"revision":2,"content":{"why_we_funded_you":"Because."}}`, 200}, // the page's edit made revision 2
		{"steward", "/api/v1/grants/999999/agreement/draft", `{"revision":1,"content":{}}`, 404},
	},

	// Pages: anonymous visitors are sent to sign in.
	"GET /grants/:id/agreement": {
		{"anonymous", "/grants/{grant}/agreement", "", 303},
		{"user", "/grants/{grant}/agreement", "", 403},
		{"other-applicant", "/grants/{grant}/agreement", "", 403},
		{"member", "/grants/{grant}/agreement", "", 403},
		{"applicant", "/grants/{grant}/agreement", "", 200},
		{"steward", "/grants/{grant}/agreement", "", 200},
		{"partner", "/grants/{grant}/agreement", "", 200},
		{"steward", "/grants/{grant2}/agreement", "", 200}, // "start writing it"
		{"steward", "/grants/999999/agreement", "", 404},
	},
	"GET /grants/:id/agreement/edit": {
		{"anonymous", "/grants/{grant}/agreement/edit", "", 303},
		{"user", "/grants/{grant}/agreement/edit", "", 403},
		{"partner", "/grants/{grant}/agreement/edit", "", 403},
		{"other-applicant", "/grants/{grant}/agreement/edit", "", 403},
		{"applicant", "/grants/{grant}/agreement/edit", "", 200},
		{"steward", "/grants/{grant}/agreement/edit?add=1", "", 200},
		{"applicant", "/grants/{grant2}/agreement/edit", "", 200}, // saving starts it
		{"steward", "/grants/{grant3}/agreement/edit", "", 409},   // signed: renegotiate first
	},
	"GET /grants/:id/agreement/versions": {
		{"anonymous", "/grants/{grant}/agreement/versions", "", 303},
		{"user", "/grants/{grant}/agreement/versions", "", 403},
		{"other-applicant", "/grants/{grant}/agreement/versions", "", 403},
		{"applicant", "/grants/{grant}/agreement/versions", "", 200},
		{"partner", "/grants/{grant}/agreement/versions", "", 200},
		{"steward", "/grants/{grant2}/agreement/versions", "", 404},
	},
	"GET /grants/:id/agreement/versions/:number": {
		{"anonymous", "/grants/{grant}/agreement/versions/1", "", 303},
		{"user", "/grants/{grant}/agreement/versions/1", "", 403},
		{"other-applicant", "/grants/{grant}/agreement/versions/1", "", 403},
		{"applicant", "/grants/{grant}/agreement/versions/1", "", 200},
		{"partner", "/grants/{grant}/agreement/versions/2", "", 200},
		{"steward", "/grants/{grant}/agreement/versions/9", "", 404},
	},
	"GET /grants/:id/agreement/versions/:number/changes": {
		{"anonymous", "/grants/{grant}/agreement/versions/2/changes", "", 303},
		{"user", "/grants/{grant}/agreement/versions/2/changes", "", 403},
		{"other-applicant", "/grants/{grant}/agreement/versions/2/changes", "", 403},
		{"applicant", "/grants/{grant}/agreement/versions/2/changes", "", 200},
		{"partner", "/grants/{grant}/agreement/versions/1/changes?all=1", "", 200},
		{"steward", "/grants/{grant}/agreement/versions/0/changes", "", 404},
	},
	"POST /grants/:id/agreement": {
		{"anonymous", "/grants/{othergrant}/agreement", "", 303},
		{"user", "/grants/{othergrant}/agreement", "", 403},
		{"other-applicant", "/grants/{othergrant}/agreement", "", 403},
		{"steward", "/grants/{othergrant}/agreement", "", 303}, // it exists: to the editor
	},
	"POST /grants/:id/agreement/edit": {
		{"anonymous", "/grants/{othergrant}/agreement/edit", "revision=2", 303},
		{"user", "/grants/{othergrant}/agreement/edit", "revision=2", 403},
		{"partner", "/grants/{othergrant}/agreement/edit", "revision=2", 403},
		{"applicant", "/grants/{othergrant}/agreement/edit", "revision=2", 403},
		{"other-applicant", "/grants/{othergrant}/agreement/edit", "revision=1&signals=1&action=add_signal", 200},
		{"other-applicant", "/grants/{othergrant}/agreement/edit", "revision=1&reflection-every_months=30", 422},
		{"other-applicant", "/grants/{othergrant}/agreement/edit", "revision=1&signals=1&learning_signals-0-name=Suppers", 422},
		{"other-applicant", "/grants/{othergrant}/agreement/edit", "revision=0&shared_purpose=Ours", 412},
		{"other-applicant", "/grants/{othergrant}/agreement/edit", "revision=1&shared_purpose=Ours&reflection-mode=written&reflection-every_months=3", 303},
	},
	"POST /grants/:id/agreement/renegotiate": {
		{"anonymous", "/grants/{grant}/agreement/renegotiate", "", 303},
		{"user", "/grants/{grant}/agreement/renegotiate", "", 403},
		{"partner", "/grants/{grant}/agreement/renegotiate", "", 403},
		{"steward", "/grants/{grant}/agreement/renegotiate", "", 409},
	},
	"POST /grants/:id/agreement/sign": {
		{"anonymous", "/grants/{othergrant}/agreement/sign", "revision=2", 303},
		{"user", "/grants/{othergrant}/agreement/sign", "revision=2", 403},
		{"partner", "/grants/{othergrant}/agreement/sign", "revision=2", 403},
		{"applicant", "/grants/{othergrant}/agreement/sign", "revision=2", 403},
		{"steward", "/grants/{othergrant}/agreement/sign", "revision=1", 412},
		{"steward", "/grants/{othergrant}/agreement/sign", "revision=2", 409}, // still incomplete
	},
}

func init() { registerArea("agreements", agreementRows) }

func completeAgreement() agreement.Content {
	return agreement.Content{
		SharedPurpose:     "Young people in Riverside feel they belong.",
		WhyWeFundedYou:    "The panel trusted how you listen.",
		LearningQuestions: []string{"Who comes, and who does not yet?"},
		Reflection:        agreement.Reflection{Mode: agreement.Written, EveryMonths: 6},
		FunderCommitments: agreement.Commitments{Money: "Two payments.", ResponseDays: 30},
		RenegotiateOn:     "2027-01-01",
	}
}

func newAgreementCast(t *testing.T) *decisionCast {
	dc := newDecisionCast(t)
	env, ctx := dc.env, context.Background()
	fund := mustID(dc.vars["{fund}"])
	partner := env.CreateUser(t, "partner")
	env.Grant(t, partner, authz.LearningPartner, authz.FundDomain(fund))
	dc.people["partner"] = partner
	dc.tokens["partner"] = env.Token(t, partner)
	b := env.NewBrowser(t)
	b.SignIn(t, partner)
	dc.browsers["partner"] = b
	waitForRole(t, env, dc.people["applicant"].ID, authz.Grantee, fund)
	waitForRole(t, env, dc.people["other-applicant"].ID, authz.Grantee, fund)

	grant := func(app string) int64 {
		var id int64
		if err := env.DB.Raw(`SELECT id FROM grants WHERE application_id = ?`, dc.vars[app]).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("no grant for %s: %v", app, err)
		}
		return id
	}
	g1, g2, g3, og := grant("{decided1}"), grant("{decided2}"), grant("{secret1}"), grant("{secret3}")
	for k, v := range map[string]int64{"{grant}": g1, "{grant2}": g2, "{grant3}": g3, "{othergrant}": og} {
		dc.vars[k] = fmt.Sprint(v)
	}
	as := env.Svc.Agreements
	steward, applicant := dc.people["steward"].ID, dc.people["applicant"].ID
	signed := func(g int64) {
		t.Helper()
		if _, err := as.Create(ctx, steward, g); err != nil {
			t.Fatal(err)
		}
		if _, err := as.EditDraft(ctx, applicant, g, agreement.Edit{Revision: 1, Content: completeAgreement()}); err != nil {
			t.Fatal(err)
		}
		for _, s := range []struct {
			who  int64
			side string
		}{{steward, agreement.Funder}, {applicant, agreement.Grantee}} {
			if _, err := as.Sign(ctx, s.who, g, s.side, agreement.Signing{Revision: 2}); err != nil {
				t.Fatal(err)
			}
		}
	}
	signed(g1)
	if _, err := as.Renegotiate(ctx, steward, g1); err != nil {
		t.Fatal(err)
	}
	signed(g3)
	if _, err := as.Create(ctx, steward, og); err != nil {
		t.Fatal(err)
	}
	return dc
}

func TestAgreementAuthorization(t *testing.T) {
	dc := newAgreementCast(t)
	runTable(t, dc.env, agreementRows, dc.expand, dc.tokens, dc.browsers)

	// The applicant's edit after signing set their signature aside, and
	// said so.
	v, err := dc.env.Svc.Agreements.Version(context.Background(), mustID(dc.vars["{grant}"]), 2)
	if err != nil || v.Revision != 2 || len(v.Signatures) != 0 || v.Content.SharedPurpose != "Rewritten together." {
		t.Fatalf("version 2 after the rows: %+v %v", v, err)
	}
	// Version 1 of {grant} is as it was signed.
	v1, _ := dc.env.Svc.Agreements.Version(context.Background(), mustID(dc.vars["{grant}"]), 1)
	if v1.ContentHash != completeAgreement().Hash() || len(v1.Signatures) != 2 {
		t.Fatalf("the signed version changed: %+v", v1)
	}
	// Every agreement page carries the fixed statement about signals.
	for _, path := range []string{"/grants/{grant}/agreement", "/grants/{grant}/agreement/versions/1", "/grants/{grant}/agreement/edit"} {
		r := dc.browsers["applicant"].Get(t, dc.expand(path))
		if !strings.Contains(string(r.Body), "None of them is tied to payment or to renewal of this grant") {
			t.Errorf("%s lacks the statement about learning signals", path)
		}
	}
	r := dc.env.Do(t, "GET", dc.expand("/api/v1/grants/{grant}/agreement"), dc.tokens["partner"], nil)
	if !strings.Contains(string(r.Body), `"signals_statement":"Learning signals are here to help us all learn.`) {
		t.Errorf("the API's agreement lacks the statement: %s", r.Body)
	}
}
