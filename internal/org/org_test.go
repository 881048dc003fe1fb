package org_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type roles struct{ az *authz.Authorizer }

func (r roles) AssignFundRole(ctx context.Context, userID int64, role string, fundID int64) error {
	return r.az.Assign(ctx, userID, authz.Role(role), authz.FundDomain(fundID))
}

func (r roles) RevokeFundRole(ctx context.Context, userID int64, role string, fundID int64) error {
	return r.az.Revoke(ctx, userID, authz.Role(role), authz.FundDomain(fundID))
}

func id(t *testing.T, db *gorm.DB, sql string, args ...any) int64 {
	t.Helper()
	var v int64
	if err := db.Raw(sql, args...).Scan(&v).Error; err != nil || v == 0 {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// granteeIn lists the funds in which the database says userID holds the
// grantee role.
func granteeIn(t *testing.T, db *gorm.DB, userID int64) []string {
	t.Helper()
	var ds []string
	if err := db.Raw(`SELECT v2 FROM casbin_rule WHERE ptype = 'g' AND v0 = ? AND v1 = 'grantee' ORDER BY v2`,
		fmt.Sprint("user:", userID)).Scan(&ds).Error; err != nil {
		t.Fatal(err)
	}
	return ds
}

// Joining an organisation that holds grants gives the grantee role in each
// of their funds, in the same transaction as the membership; leaving it
// takes away the roles that came only from it.
func TestMembershipGivesAndTakesTheGranteeRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	az, err := authz.New(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	svc := org.NewService(db)
	svc.GiveRolesWith(roles{az})

	f1, f2 := applicationtest.Fund(t, db, "Riverside Fund"), applicationtest.Fund(t, db, "Hillside Fund")
	club := id(t, db, `INSERT INTO organisations (name, kind) VALUES ('Hillside Youth Club', 'applicant') RETURNING id`)
	tables := id(t, db, `INSERT INTO organisations (name, kind) VALUES ('Shared Tables', 'applicant') RETURNING id`)
	unfunded := id(t, db, `INSERT INTO organisations (name, kind) VALUES ('Not Yet', 'applicant') RETURNING id`)
	grant := func(fund, o int64, title string) {
		rnd := applicationtest.Round(t, db, fund, application.RoundReview, applicationtest.ClosedNow())
		app := applicationtest.Application(t, db, rnd, o, title)
		id(t, db, `INSERT INTO grants (fund_id, round_id, application_id, organisation_id, title, amount_minor, starts_on, ends_on)
			VALUES (?, ?, ?, ?, ?, 100000, '2026-04-01', '2027-03-31') RETURNING id`, fund, rnd, app, o, title)
	}
	grant(f1, club, "Saturday clubs")
	grant(f2, club, "Summer camp")
	grant(f1, tables, "Shared suppers")
	kim := id(t, db, `INSERT INTO users (email, display_name, password_hash) VALUES ('kim@example.org', 'Kim', 'x') RETURNING id`)
	lee := id(t, db, `INSERT INTO users (email, display_name, password_hash) VALUES ('lee@example.org', 'Lee', 'x') RETURNING id`)
	d1, d2 := authz.FundDomain(f1), authz.FundDomain(f2)

	if err := svc.AddMember(ctx, 0, unfunded, lee); err != nil {
		t.Fatal(err)
	}
	if got := granteeIn(t, db, lee); len(got) != 0 {
		t.Errorf("joining an unfunded organisation gave roles: %v", got)
	}
	if err := svc.AddMember(ctx, 0, club, kim); err != nil {
		t.Fatal(err)
	}
	if got := granteeIn(t, db, kim); len(got) != 2 || got[0] != d1 || got[1] != d2 {
		t.Fatalf("after joining the club: %v, want grantee in %s and %s", got, d1, d2)
	}
	if err := svc.AddMember(ctx, 0, tables, kim); err != nil {
		t.Fatal(err)
	}
	// The authorizer sees it too.
	if !az.Allowed(authz.Actor{UserID: kim}, "read", authz.Resource{Kind: "funder_reflection", Domain: d2}) {
		t.Error("the authorizer does not see the new grantee role")
	}

	// Leaving the club: the role in f2 came only from it; in f1 Shared
	// Tables holds a grant too, so it stays.
	if err := svc.RemoveMember(ctx, 0, club, kim); err != nil {
		t.Fatal(err)
	}
	if got := granteeIn(t, db, kim); len(got) != 1 || got[0] != d1 {
		t.Fatalf("after leaving the club: %v, want grantee in %s only", got, d1)
	}
	if err := svc.RemoveMember(ctx, 0, tables, kim); err != nil {
		t.Fatal(err)
	}
	if got := granteeIn(t, db, kim); len(got) != 0 {
		t.Fatalf("after leaving both: %v", got)
	}
	if err := svc.RemoveMember(ctx, 0, tables, kim); !errors.Is(err, org.ErrNotMember) {
		t.Fatalf("leaving twice: %v", err)
	}
	var n int64
	db.Raw(`SELECT count(*) FROM audit_events WHERE action IN ('organisation.add_member', 'organisation.remove_member')`).Scan(&n)
	if n != 5 {
		t.Errorf("audit events: %d, want 5", n)
	}

	// Without a role giver, joining a funded organisation fails whole.
	bare := org.NewService(db)
	if err := bare.AddMember(ctx, 0, club, lee); err == nil {
		t.Fatal("joined a funded organisation with nobody to give the role")
	}
	var m int64
	db.Raw(`SELECT count(*) FROM organisation_members WHERE organisation_id = ? AND user_id = ?`, club, lee).Scan(&m)
	if m != 0 {
		t.Error("the membership was kept although the role could not be given")
	}
}
