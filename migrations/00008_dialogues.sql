-- Peer accountability dialogues.
--
-- Anyone taking part in a fund may convene a dialogue: a purpose, a date,
-- the people invited (who accept or decline), the prompts it opens with and
-- what it starts from (account sections the convener could see, or open
-- questions). Its participants keep shared notes in versions, agree actions
-- (what, who owns it, by when, open / done / dropped with a reason) and
-- pass issues up to the fund's stewards, who answer them. A follow-up names
-- the dialogue it follows; the earlier one's open actions are read live
-- from dialogue_actions, never copied, so closing an action closes it
-- everywhere.
--
-- A dialogue never widens anyone's sight: a source is stored as a pointer
-- (account, section) and shown to each participant only if they could read
-- it anyway, worked out at read time.

-- +goose Up
CREATE TABLE dialogues (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fund_id        bigint      NOT NULL REFERENCES funds (id),
    convened_by    bigint      NOT NULL REFERENCES users (id),
    purpose        text        NOT NULL CHECK (btrim(purpose) <> ''),
    meets_on       date        NOT NULL,
    -- The prompts the dialogue opens with, in order (Humble's defaults,
    -- or the convener's own).
    prompts        text[]      NOT NULL DEFAULT '{}',
    open_questions text        NOT NULL DEFAULT '',
    follows_up     bigint      REFERENCES dialogues (id),
    -- Bumped on every change to the dialogue's own fields.
    version        integer     NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (follows_up IS NULL OR follows_up <> id)
);
CREATE INDEX dialogues_fund_idx ON dialogues (fund_id, meets_on DESC);
CREATE INDEX dialogues_follows_up_idx ON dialogues (follows_up);

-- Who takes part: the convener, and everyone invited with their answer.
CREATE TABLE dialogue_participants (
    dialogue_id  bigint      NOT NULL REFERENCES dialogues (id),
    user_id      bigint      NOT NULL REFERENCES users (id),
    status       text        NOT NULL DEFAULT 'invited'
                 CHECK (status IN ('convener', 'invited', 'accepted', 'declined')),
    invited_by   bigint      REFERENCES users (id),
    invited_at   timestamptz NOT NULL DEFAULT now(),
    responded_at timestamptz,
    PRIMARY KEY (dialogue_id, user_id)
);
CREATE INDEX dialogue_participants_user_idx ON dialogue_participants (user_id);

-- What a dialogue starts from: a section of a reflective account (or the
-- whole account when section_key is NULL).
CREATE TABLE dialogue_sources (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dialogue_id bigint      NOT NULL REFERENCES dialogues (id),
    account_id  bigint      NOT NULL REFERENCES reflective_accounts (id),
    section_key text,
    added_by    bigint      REFERENCES users (id),
    added_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (dialogue_id, account_id, section_key)
);

-- Shared notes, one row per saved version; append-only. An edit names the
-- version it started from, so nobody overwrites words they have not seen.
CREATE TABLE dialogue_notes (
    dialogue_id bigint      NOT NULL REFERENCES dialogues (id),
    version     integer     NOT NULL CHECK (version > 0),
    body        text        NOT NULL,
    written_by  bigint      REFERENCES users (id),
    written_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dialogue_id, version)
);
CREATE INDEX dialogue_notes_fts_idx ON dialogue_notes USING gin (to_tsvector('english', body));

-- Actions the participants agreed.
CREATE TABLE dialogue_actions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dialogue_id    bigint      NOT NULL REFERENCES dialogues (id),
    what           text        NOT NULL CHECK (btrim(what) <> ''),
    owner_id       bigint      NOT NULL REFERENCES users (id),
    due_on         date,
    status         text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
    dropped_reason text        NOT NULL DEFAULT '',
    version        integer     NOT NULL DEFAULT 1 CHECK (version > 0),
    created_by     bigint      REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     bigint      REFERENCES users (id),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'dropped') = (btrim(dropped_reason) <> ''))
);
CREATE INDEX dialogue_actions_dialogue_idx ON dialogue_actions (dialogue_id);
CREATE INDEX dialogue_actions_owner_idx ON dialogue_actions (owner_id, status);

-- Issues passed up to the fund's stewards, and their answer (once).
CREATE TABLE dialogue_issues (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dialogue_id bigint      NOT NULL REFERENCES dialogues (id),
    body        text        NOT NULL CHECK (btrim(body) <> ''),
    raised_by   bigint      REFERENCES users (id),
    raised_at   timestamptz NOT NULL DEFAULT now(),
    answer      text,
    answered_by bigint      REFERENCES users (id),
    answered_at timestamptz,
    CHECK ((answer IS NULL) = (answered_at IS NULL)),
    CHECK (answer IS NULL OR btrim(answer) <> '')
);
CREATE INDEX dialogue_issues_dialogue_idx ON dialogue_issues (dialogue_id);

-- +goose StatementBegin
CREATE FUNCTION dialogue_history_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'dialogue_notes' THEN
        RAISE EXCEPTION 'notes are kept in versions: save a new version instead' USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- dialogue_issues: the body never changes, and an answer is given once.
    IF TG_OP = 'DELETE' OR OLD.answer IS NOT NULL
        OR (NEW.id, NEW.dialogue_id, NEW.body, NEW.raised_by, NEW.raised_at)
           IS DISTINCT FROM (OLD.id, OLD.dialogue_id, OLD.body, OLD.raised_by, OLD.raised_at) THEN
        RAISE EXCEPTION 'an issue passed up never changes, and is answered once' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER dialogue_notes_append_only BEFORE UPDATE OR DELETE ON dialogue_notes
    FOR EACH ROW EXECUTE FUNCTION dialogue_history_kept();
CREATE TRIGGER dialogue_issues_answered_once BEFORE UPDATE OR DELETE ON dialogue_issues
    FOR EACH ROW EXECUTE FUNCTION dialogue_history_kept();

-- +goose Down
DROP TABLE dialogue_issues;
DROP TABLE dialogue_actions;
DROP TABLE dialogue_notes;
DROP TABLE dialogue_sources;
DROP TABLE dialogue_participants;
DROP TABLE dialogues;
DROP FUNCTION dialogue_history_kept();
