-- Decisions and grants.
--
-- A round now moves voting → closed → decided. When voting closes the
-- result is computed from the ballots (if the quorum is met) and kept with
-- everything needed to compute it again: the rule, its parameters, the
-- tie-break and a digest of all ballots. The panel chair records the
-- decision (the computed result, or an amended one with a published
-- reason); the panel writes a rationale and feedback for every application;
-- when each has both, the chair makes the decision final, the round is
-- decided, and every funded application becomes a grant.

-- +goose Up
ALTER TABLE rounds DROP CONSTRAINT rounds_state_check;
ALTER TABLE rounds ADD CONSTRAINT rounds_state_check
    CHECK (state IN ('draft', 'accepting', 'review', 'voting', 'closed', 'decided'));

-- The computed result of a round: one per round, written once.
CREATE TABLE round_results (
    round_id        bigint      PRIMARY KEY REFERENCES rounds (id),
    rule            text        NOT NULL,
    -- Everything the rule was given besides the ballots: budget, costs,
    -- method and its parameters, how ballots became utilities.
    params          jsonb       NOT NULL CHECK (jsonb_typeof(params) = 'object'),
    tie_break       text        NOT NULL,
    ballots         integer     NOT NULL CHECK (ballots >= 0),
    -- sha256 of the ballots in a canonical form (see internal/decision).
    ballot_digest   text        NOT NULL CHECK (ballot_digest ~ '^[0-9a-f]{64}$'),
    quorum          integer     NOT NULL,
    -- Set when the chair had the result computed below the quorum.
    quorum_waived_reason text   CHECK (quorum_waived_reason IS NULL OR quorum_waived_reason <> ''),
    outcome         jsonb       NOT NULL CHECK (jsonb_typeof(outcome) = 'object'),
    computed_by     bigint      REFERENCES users (id),
    computed_at     timestamptz NOT NULL DEFAULT now()
);

-- The panel's decision on a round.
CREATE TABLE decisions (
    round_id         bigint      PRIMARY KEY REFERENCES round_results (round_id),
    status           text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'final')),
    amended          boolean     NOT NULL DEFAULT false,
    amendment_reason text        CHECK (amended = (amendment_reason IS NOT NULL AND amendment_reason <> '')),
    version          integer     NOT NULL DEFAULT 1,
    recorded_by      bigint      REFERENCES users (id),
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    finalised_by     bigint      REFERENCES users (id),
    finalised_at     timestamptz,
    CHECK ((status = 'final') = (finalised_at IS NOT NULL))
);

-- The decision on each application, with the panel's words about it.
CREATE TABLE decision_applications (
    round_id       bigint      NOT NULL REFERENCES decisions (round_id),
    application_id bigint      NOT NULL UNIQUE REFERENCES applications (id),
    funded         boolean     NOT NULL,
    amount_minor   bigint      CHECK (funded = (amount_minor IS NOT NULL) AND (amount_minor IS NULL OR amount_minor > 0)),
    -- Why the panel decided as it did: published with the result.
    rationale      text        NOT NULL DEFAULT '',
    -- Words for the applicant: seen by them and the fund, not the public.
    feedback       text        NOT NULL DEFAULT '',
    updated_by     bigint      REFERENCES users (id),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (round_id, application_id)
);

-- +goose StatementBegin
CREATE FUNCTION decisions_final_never_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'decisions' THEN
        IF OLD.status = 'final' THEN
            RAISE EXCEPTION 'a final decision never changes' USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSIF EXISTS (SELECT 1 FROM decisions d WHERE d.round_id = OLD.round_id AND d.status = 'final') THEN
        RAISE EXCEPTION 'a final decision never changes' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER decisions_final BEFORE UPDATE OR DELETE ON decisions
    FOR EACH ROW EXECUTE FUNCTION decisions_final_never_change();
CREATE TRIGGER decision_applications_final BEFORE UPDATE OR DELETE ON decision_applications
    FOR EACH ROW EXECUTE FUNCTION decisions_final_never_change();

-- A funded application becomes a grant.
CREATE TABLE grants (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fund_id         bigint      NOT NULL REFERENCES funds (id),
    round_id        bigint      NOT NULL REFERENCES rounds (id),
    application_id  bigint      NOT NULL UNIQUE REFERENCES applications (id),
    organisation_id bigint      NOT NULL REFERENCES organisations (id),
    title           text        NOT NULL,
    amount_minor    bigint      NOT NULL CHECK (amount_minor > 0),
    starts_on       date        NOT NULL,
    ends_on         date        NOT NULL CHECK (ends_on >= starts_on),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX grants_fund_idx ON grants (fund_id);
CREATE INDEX grants_organisation_idx ON grants (organisation_id);

-- When the money is paid. Instalments carry no conditions: there is no
-- column for one.
CREATE TABLE grant_instalments (
    grant_id     bigint      NOT NULL REFERENCES grants (id),
    number       integer     NOT NULL CHECK (number > 0),
    due_on       date        NOT NULL,
    amount_minor bigint      NOT NULL CHECK (amount_minor > 0),
    paid_at      timestamptz,
    PRIMARY KEY (grant_id, number)
);

-- +goose Down
DROP TABLE grant_instalments;
DROP TABLE grants;
DROP TRIGGER decision_applications_final ON decision_applications;
DROP TRIGGER decisions_final ON decisions;
DROP FUNCTION decisions_final_never_change();
DROP TABLE decision_applications;
DROP TABLE decisions;
DROP TABLE round_results;
UPDATE rounds SET state = 'voting' WHERE state = 'closed';
ALTER TABLE rounds DROP CONSTRAINT rounds_state_check;
ALTER TABLE rounds ADD CONSTRAINT rounds_state_check
    CHECK (state IN ('draft', 'accepting', 'review', 'voting', 'decided'));
