package httpapi

import (
	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/authz"
)

// FundViewer works out how far the principal (nil: nobody signed in) may
// read across a fund's reflective accounts, as AccountReader does for one
// account: stewards and learning partners read everything; a grantee reads
// their own organisations' accounts in full and what is shared with peers
// elsewhere, as the panel does; everyone else reads what is public.
func FundViewer(az *authz.Authorizer, p *Principal, fundID int64) account.Viewer {
	actor := p.Actor()
	v := account.Viewer{FundID: fundID, UserID: actor.UserID}
	v.Partner = az.Allowed(actor, "read", AccountResource(fundID, 0))
	// As AccountReader's Owner of a funder's reflection: reads all its
	// stories.
	v.Reflector = az.Allowed(actor, "update", ReflectionResource(fundID))
	// As DialogueIn: taking part in a dialogue opens it only to someone
	// who still holds a role in the fund that reads dialogues.
	v.LeftFund = !az.Allowed(actor, "read", DialogueResource(fundID))
	for _, org := range actor.OrgIDs {
		if az.Allowed(actor, "read", AccountResource(fundID, org)) {
			v.OwnOrgs = append(v.OwnOrgs, org)
		}
	}
	switch {
	case v.Partner:
		v.Clearance = account.SeesPartner
	case az.Allowed(actor, "read_shared", AccountResource(fundID, 0)) || az.Allowed(actor, "read", ReflectionResource(fundID)):
		v.Clearance = account.SeesPeers
	}
	return v
}
