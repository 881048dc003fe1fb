-- Funds, rounds, applications, community panels, conflict-of-interest
-- declarations and deliberation.

-- +goose Up
CREATE TABLE funds (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id    bigint      NOT NULL REFERENCES organisations (id),
    name               text        NOT NULL CHECK (name <> '' AND length(name) <= 200),
    -- Purpose: enable <flourishing> for <whom> in <place>.
    purpose_flourishing text       NOT NULL CHECK (purpose_flourishing <> ''),
    purpose_whom       text        NOT NULL CHECK (purpose_whom <> ''),
    purpose_where      text        NOT NULL CHECK (purpose_where <> ''),
    budget_minor       bigint      NOT NULL CHECK (budget_minor >= 0),
    currency           text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    system_scale       text        NOT NULL CHECK (system_scale IN ('person', 'organisation', 'place', 'country')),
    stage              text        NOT NULL DEFAULT 'purpose'
                       CHECK (stage IN ('purpose', 'understanding', 'co_design', 'exploring', 'embedding')),
    status             text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'active', 'closed')),
    version            integer     NOT NULL DEFAULT 1,
    created_by         bigint      REFERENCES users (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX funds_organisation_idx ON funds (organisation_id);

-- Guiding principles: every change is a new revision; none is overwritten.
CREATE TABLE fund_principle_revisions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fund_id    bigint      NOT NULL REFERENCES funds (id),
    revision   integer     NOT NULL CHECK (revision > 0),
    principles jsonb       NOT NULL CHECK (jsonb_typeof(principles) = 'array'),
    note       text        NOT NULL DEFAULT '',
    created_by bigint      REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (fund_id, revision)
);

-- The learning-cycle stage's history, with the reason for each move.
CREATE TABLE fund_stage_changes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fund_id    bigint      NOT NULL REFERENCES funds (id),
    from_stage text,
    to_stage   text        NOT NULL,
    reason     text        NOT NULL CHECK (reason <> ''),
    changed_by bigint      REFERENCES users (id),
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fund_stage_changes_fund_idx ON fund_stage_changes (fund_id, id);

CREATE TABLE rounds (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fund_id               bigint      NOT NULL REFERENCES funds (id),
    name                  text        NOT NULL CHECK (name <> '' AND length(name) <= 200),
    budget_minor          bigint      NOT NULL CHECK (budget_minor > 0),
    applications_open_at  timestamptz NOT NULL,
    applications_close_at timestamptz NOT NULL CHECK (applications_close_at > applications_open_at),
    voting_open_at        timestamptz NOT NULL CHECK (voting_open_at >= applications_close_at),
    voting_close_at       timestamptz NOT NULL CHECK (voting_close_at > voting_open_at),
    method                text        NOT NULL
                          CHECK (method IN ('approval', 'approval_budget', 'score', 'ranking', 'cumulative')),
    -- Method parameters: score max, cumulative points, ranking length.
    method_params         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    rule                  text        NOT NULL,
    quorum                integer     NOT NULL CHECK (quorum >= 0),
    secret_ballot         boolean     NOT NULL DEFAULT false,
    tie_break             text        NOT NULL CHECK (tie_break IN ('lower_cost', 'earlier_application')),
    state                 text        NOT NULL DEFAULT 'draft'
                          CHECK (state IN ('draft', 'accepting', 'review', 'voting', 'decided')),
    version               integer     NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rounds_fund_idx ON rounds (fund_id);

CREATE TABLE round_transitions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id   bigint      NOT NULL REFERENCES rounds (id),
    from_state text        NOT NULL,
    to_state   text        NOT NULL,
    changed_by bigint      REFERENCES users (id),
    changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE applications (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id           bigint      NOT NULL REFERENCES rounds (id),
    fund_id            bigint      NOT NULL REFERENCES funds (id),
    organisation_id    bigint      NOT NULL REFERENCES organisations (id),
    title              text        NOT NULL CHECK (title <> ''),
    explore            text        NOT NULL,
    with_whom          text        NOT NULL,
    how_learn          text        NOT NULL,
    amount_minor       bigint      NOT NULL CHECK (amount_minor > 0),
    minimum_minor      bigint      CHECK (minimum_minor IS NULL OR (minimum_minor > 0 AND minimum_minor <= amount_minor)),
    budget_summary     text        NOT NULL DEFAULT '',
    state              text        NOT NULL DEFAULT 'submitted'
                       CHECK (state IN ('submitted', 'withdrawn', 'ineligible')),
    ineligible_reason  text        CHECK ((state = 'ineligible') = (ineligible_reason IS NOT NULL AND ineligible_reason <> '')),
    version            integer     NOT NULL DEFAULT 1,
    created_by         bigint      REFERENCES users (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applications_round_idx ON applications (round_id);
CREATE INDEX applications_organisation_idx ON applications (organisation_id);

-- Who sits on a fund's community panel, and how they came to.
CREATE TABLE panel_members (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fund_id    bigint      NOT NULL REFERENCES funds (id),
    user_id    bigint      NOT NULL REFERENCES users (id),
    role       text        NOT NULL CHECK (role IN ('chair', 'member')),
    chosen_by  text        NOT NULL CHECK (chosen_by IN ('invited', 'nominated', 'lottery')),
    term_start date        NOT NULL,
    term_end   date        CHECK (term_end IS NULL OR term_end >= term_start),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (fund_id, user_id)
);

-- Time given per member per round, and how it was paid. Some members must
-- protect their benefits: "declined" and "voucher" are as normal as money.
CREATE TABLE panel_time (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fund_id       bigint        NOT NULL REFERENCES funds (id),
    round_id      bigint        NOT NULL REFERENCES rounds (id),
    user_id       bigint        NOT NULL REFERENCES users (id),
    hours         numeric(6, 2) NOT NULL CHECK (hours >= 0),
    payment       text          NOT NULL CHECK (payment IN ('amount', 'voucher', 'declined')),
    amount_minor  bigint        CHECK ((payment = 'amount') = (amount_minor IS NOT NULL) AND (amount_minor IS NULL OR amount_minor >= 0)),
    note          text          NOT NULL DEFAULT '',
    recorded_by   bigint        REFERENCES users (id),
    recorded_at   timestamptz   NOT NULL DEFAULT now(),
    UNIQUE (round_id, user_id)
);

-- A panel member's conflict-of-interest declaration for one application.
CREATE TABLE declarations (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id       bigint      NOT NULL REFERENCES rounds (id),
    application_id bigint      NOT NULL REFERENCES applications (id),
    user_id        bigint      NOT NULL REFERENCES users (id),
    kind           text        NOT NULL CHECK (kind IN ('none', 'disclosed', 'recused')),
    note           text        NOT NULL DEFAULT '' CHECK (kind = 'none' OR note <> ''),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (application_id, user_id)
);
CREATE INDEX declarations_round_user_idx ON declarations (round_id, user_id);

-- Deliberation: comments are corrected (history kept) or retracted with a
-- reason, never deleted.
CREATE TABLE comments (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id    bigint      NOT NULL REFERENCES applications (id),
    author_id         bigint      NOT NULL REFERENCES users (id),
    body              text        NOT NULL CHECK (body <> ''),
    created_at        timestamptz NOT NULL DEFAULT now(),
    edited_at         timestamptz,
    retracted_at      timestamptz,
    retraction_reason text        CHECK ((retracted_at IS NULL) = (retraction_reason IS NULL))
);
CREATE INDEX comments_application_idx ON comments (application_id, id);

CREATE TABLE comment_revisions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    comment_id  bigint      NOT NULL REFERENCES comments (id),
    body        text        NOT NULL,
    replaced_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION comments_never_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'comments are retracted, never deleted'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER comments_no_delete BEFORE DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION comments_never_deleted();

-- An invitation may carry a role in a fund, given when it is accepted.
ALTER TABLE invitations
    ADD COLUMN fund_id   bigint REFERENCES funds (id),
    ADD COLUMN fund_role text CHECK (fund_role IN ('steward', 'panel_chair', 'panel_member', 'learning_partner')),
    ADD CONSTRAINT invitations_fund_role_pair CHECK ((fund_id IS NULL) = (fund_role IS NULL));

-- +goose Down
ALTER TABLE invitations DROP CONSTRAINT invitations_fund_role_pair, DROP COLUMN fund_role, DROP COLUMN fund_id;
DROP TABLE comment_revisions;
DROP TABLE comments;
DROP FUNCTION comments_never_deleted();
DROP TABLE declarations;
DROP TABLE panel_time;
DROP TABLE panel_members;
DROP TABLE applications;
DROP TABLE round_transitions;
DROP TABLE rounds;
DROP TABLE fund_stage_changes;
DROP TABLE fund_principle_revisions;
DROP TABLE funds;
