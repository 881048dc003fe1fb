-- Reflective accounts, story consent, the funder's responses and the
-- funder's own reflections.
--
-- A grantee writes a reflective account of a period of its grant, in fixed
-- sections, each with a visibility (funder and learning partner, peers in
-- the fund, or public). A draft becomes submitted and then never changes:
-- a correction is an addendum, dated and append-only. In conversation mode
-- a steward or learning partner writes notes of a conversation, which wait
-- for a grantee to confirm them (with corrections if they like) before they
-- count as the account. Stewards write the funder's own reflections in the
-- same sections (kind 'funder', no grant): draft, then published.
--
-- Stories about people carry a consent record. Once an account is
-- submitted the only change a story accepts is its withdrawal; whether a
-- story may be shown is worked out at read time (withdrawn, expired,
-- purposes), never copied anywhere.
--
-- Every submitted account gets one response from the fund's stewards, due
-- within the fund's response_days of submission; a response never changes.

-- +goose Up
ALTER TABLE funds ADD COLUMN response_days integer NOT NULL DEFAULT 21
    CHECK (response_days BETWEEN 1 AND 365);

CREATE TABLE reflective_accounts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fund_id         bigint      NOT NULL REFERENCES funds (id),
    -- The grant for a grantee's account; NULL for the funder's reflection.
    grant_id        bigint      REFERENCES grants (id),
    -- The grantee organisation, or the funder's organisation.
    organisation_id bigint      NOT NULL REFERENCES organisations (id),
    kind            text        NOT NULL CHECK (kind IN ('grantee', 'funder')),
    -- written by the grantee, or notes of a conversation written by a
    -- steward or learning partner.
    mode            text        NOT NULL DEFAULT 'written' CHECK (mode IN ('written', 'conversation')),
    period_start    date        NOT NULL,
    period_end      date        NOT NULL CHECK (period_end >= period_start),
    status          text        NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'awaiting_confirmation', 'submitted', 'published')),
    version         integer     NOT NULL DEFAULT 1 CHECK (version > 0),
    author_id       bigint      REFERENCES users (id),
    -- Conversation notes: the grantee who confirmed them, and what they
    -- corrected.
    confirmed_by    bigint      REFERENCES users (id),
    corrections     text        NOT NULL DEFAULT '',
    submitted_by    bigint      REFERENCES users (id),
    submitted_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'funder') = (grant_id IS NULL)),
    CHECK (kind = 'grantee' OR (mode = 'written' AND status IN ('draft', 'published'))),
    CHECK (kind = 'funder' OR status <> 'published'),
    CHECK ((status IN ('submitted', 'published')) = (submitted_at IS NOT NULL))
);
CREATE INDEX reflective_accounts_grant_idx ON reflective_accounts (grant_id);
CREATE INDEX reflective_accounts_fund_idx ON reflective_accounts (fund_id, kind);

-- One row per section of an account; the keys are fixed.
CREATE TABLE account_sections (
    account_id bigint NOT NULL REFERENCES reflective_accounts (id),
    key        text   NOT NULL CHECK (key IN ('context_changed', 'what_we_tried', 'what_happened', 'not_as_hoped',
                   'what_we_learnt', 'what_we_will_change', 'what_we_need', 'signal_readings')),
    body       text   NOT NULL DEFAULT '',
    visibility text   NOT NULL DEFAULT 'funder_and_partner' CHECK (visibility IN ('funder_and_partner', 'peers', 'public')),
    PRIMARY KEY (account_id, key)
);

-- Stories about people, in the "what happened" section, each with its
-- consent record.
CREATE TABLE account_stories (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   bigint      NOT NULL REFERENCES reflective_accounts (id),
    position     integer     NOT NULL CHECK (position > 0),
    body         text        NOT NULL CHECK (body <> ''),
    purposes     text[]      NOT NULL CHECK (purposes <@ ARRAY['learning_within_fund', 'public_pages', 'reports']::text[]),
    naming       text        NOT NULL CHECK (naming IN ('anonymous', 'first_name', 'full_name')),
    expires_on   date,
    withdrawn_at timestamptz,
    withdrawn_by bigint      REFERENCES users (id),
    created_by   bigint      REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL))
);
CREATE INDEX account_stories_account_idx ON account_stories (account_id);

-- Corrections and later words by the grantee: append-only.
CREATE TABLE account_addenda (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint      NOT NULL REFERENCES reflective_accounts (id),
    body       text        NOT NULL CHECK (body <> ''),
    visibility text        NOT NULL DEFAULT 'funder_and_partner' CHECK (visibility IN ('funder_and_partner', 'peers', 'public')),
    created_by bigint      REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_addenda_account_idx ON account_addenda (account_id);

-- The stewards' answer to a submitted account: one, never changed.
CREATE TABLE account_responses (
    account_id bigint      PRIMARY KEY REFERENCES reflective_accounts (id),
    body       text        NOT NULL CHECK (body <> ''),
    sent_by    bigint      REFERENCES users (id),
    sent_at    timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION reflective_accounts_frozen() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    acc bigint;
BEGIN
    IF TG_TABLE_NAME = 'reflective_accounts' THEN
        IF OLD.status IN ('submitted', 'published') THEN
            RAISE EXCEPTION 'a submitted account never changes; add an addendum instead' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME IN ('account_addenda', 'account_responses') THEN
        RAISE EXCEPTION '% never change once written', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'INSERT' THEN
        acc := NEW.account_id;
    ELSE
        acc := OLD.account_id;
    END IF;
    IF EXISTS (SELECT 1 FROM reflective_accounts a WHERE a.id = acc AND a.status IN ('submitted', 'published')) THEN
        -- The one change a submitted account's story accepts: its consent
        -- being withdrawn, once.
        -- (Nested, so the story's columns are only looked at on stories.)
        IF TG_TABLE_NAME = 'account_stories' AND TG_OP = 'UPDATE' THEN
            IF OLD.withdrawn_at IS NULL AND NEW.withdrawn_at IS NOT NULL
                AND (NEW.id, NEW.account_id, NEW.position, NEW.body, NEW.purposes, NEW.naming, NEW.expires_on, NEW.created_by, NEW.created_at)
                    IS NOT DISTINCT FROM
                    (OLD.id, OLD.account_id, OLD.position, OLD.body, OLD.purposes, OLD.naming, OLD.expires_on, OLD.created_by, OLD.created_at) THEN
                RETURN NEW;
            END IF;
        END IF;
        RAISE EXCEPTION 'a submitted account never changes; add an addendum instead' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER reflective_accounts_frozen BEFORE UPDATE OR DELETE ON reflective_accounts
    FOR EACH ROW EXECUTE FUNCTION reflective_accounts_frozen();
CREATE TRIGGER account_sections_frozen BEFORE INSERT OR UPDATE OR DELETE ON account_sections
    FOR EACH ROW EXECUTE FUNCTION reflective_accounts_frozen();
CREATE TRIGGER account_stories_frozen BEFORE INSERT OR UPDATE OR DELETE ON account_stories
    FOR EACH ROW EXECUTE FUNCTION reflective_accounts_frozen();
CREATE TRIGGER account_addenda_append_only BEFORE UPDATE OR DELETE ON account_addenda
    FOR EACH ROW EXECUTE FUNCTION reflective_accounts_frozen();
CREATE TRIGGER account_responses_never_change BEFORE UPDATE OR DELETE ON account_responses
    FOR EACH ROW EXECUTE FUNCTION reflective_accounts_frozen();

-- +goose Down
DROP TABLE account_responses;
DROP TABLE account_addenda;
DROP TABLE account_stories;
DROP TABLE account_sections;
DROP TABLE reflective_accounts;
DROP FUNCTION reflective_accounts_frozen();
ALTER TABLE funds DROP COLUMN response_days;
