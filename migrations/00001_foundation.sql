-- Foundation: people, organisations, sessions, tokens, invitations, sign-in
-- throttling, the append-only audit log and casbin's rule table.

-- +goose Up
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text        NOT NULL CHECK (email <> '' AND length(email) <= 254),
    display_name  text        NOT NULL CHECK (display_name <> '' AND length(display_name) <= 120),
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Emails are unique whatever their case.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE organisations (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL CHECK (name <> '' AND length(name) <= 200),
    kind       text        NOT NULL CHECK (kind IN ('funder', 'applicant')),
    -- A 360Giving organisation identifier such as GB-CHC-1234567; optional.
    identifier text        CHECK (identifier IS NULL OR identifier ~ '^[A-Z]{2}-[A-Z]{2,}-.+$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organisations_identifier_key ON organisations (identifier) WHERE identifier IS NOT NULL;

CREATE TABLE organisation_members (
    organisation_id bigint      NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id         bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, user_id)
);
CREATE INDEX organisation_members_user_idx ON organisation_members (user_id);

-- Browser sessions. Only a hash of the cookie value is stored.
CREATE TABLE sessions (
    token_hash   bytea       PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Personal API tokens, shown once; only a hash is stored.
CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text        NOT NULL CHECK (name <> '' AND length(name) <= 100),
    token_hash   bytea       NOT NULL UNIQUE,
    prefix       text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- One-time, expiring invitations: the only way an account comes to exist
-- (apart from the first administrator, made on the command line).
CREATE TABLE invitations (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email            text        NOT NULL CHECK (email <> ''),
    display_name     text        NOT NULL DEFAULT '',
    token_hash       bytea       NOT NULL UNIQUE,
    organisation_id  bigint      REFERENCES organisations (id) ON DELETE SET NULL,
    invited_by       bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    accepted_at      timestamptz,
    accepted_user_id bigint      REFERENCES users (id) ON DELETE SET NULL
);

-- Sign-in attempts, kept for rate limiting per account and per address.
CREATE TABLE sign_in_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email_key    text        NOT NULL,
    address      text        NOT NULL,
    succeeded    boolean     NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_attempts_email_idx ON sign_in_attempts (email_key, attempted_at);
CREATE INDEX sign_in_attempts_address_idx ON sign_in_attempts (address, attempted_at);

-- The audit log: written in the same transaction as each change, never altered.
CREATE TABLE audit_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint      REFERENCES users (id),
    action      text        NOT NULL CHECK (action <> ''),
    object_type text        NOT NULL CHECK (object_type <> ''),
    object_id   text        NOT NULL DEFAULT '',
    fund_id     bigint,
    changes     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    request_id  text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_fund_idx ON audit_events (fund_id, occurred_at) WHERE fund_id IS NOT NULL;
CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at);

-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- casbin's rules, in the layout of github.com/casbin/gorm-adapter/v3
-- (whose own auto-migration is turned off).
CREATE TABLE casbin_rule (
    id    bigserial PRIMARY KEY,
    ptype varchar(100),
    v0    varchar(100),
    v1    varchar(100),
    v2    varchar(100),
    v3    varchar(100),
    v4    varchar(100),
    v5    varchar(100)
);
CREATE UNIQUE INDEX idx_casbin_rule ON casbin_rule (ptype, v0, v1, v2, v3, v4, v5);

-- +goose Down
DROP TABLE casbin_rule;
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE sign_in_attempts;
DROP TABLE invitations;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE organisation_members;
DROP TABLE organisations;
DROP TABLE users;
