-- Themes, tags, learning syntheses and full-text search.
--
-- A fund keeps a list of themes: anyone taking part may suggest one, and
-- the stewards curate (accept, rename, set aside). A curated theme can tag a
-- section of a submitted reflective account, a funder's published
-- reflection, or a dialogue's notes. The pattern view counts tags per theme
-- over time for the person looking: a tag counts only if that person may
-- read its source, worked out at read time from the source's own
-- visibility, never copied here.
--
-- Stewards and learning partners write periodic syntheses of the fund's
-- learning, citing themes and sources; a published synthesis never changes
-- and shows on the fund's public page. Citations, like tags, are pointers:
-- each reader sees only the cited sources they may read.
--
-- Full-text search uses expression indexes on the English text-search
-- configuration; queries must use the same expression to use them.

-- +goose Up
CREATE TABLE themes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fund_id      bigint      NOT NULL REFERENCES funds (id),
    name         text        NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 80),
    description  text        NOT NULL DEFAULT '',
    status       text        NOT NULL DEFAULT 'suggested' CHECK (status IN ('suggested', 'curated', 'set_aside')),
    suggested_by bigint      REFERENCES users (id),
    curated_by   bigint      REFERENCES users (id),
    version      integer     NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX themes_fund_name_idx ON themes (fund_id, lower(btrim(name)));

-- A theme on a source: an account section (account_id + section_key) or a
-- dialogue's notes (dialogue_id).
CREATE TABLE theme_tags (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fund_id     bigint      NOT NULL REFERENCES funds (id),
    theme_id    bigint      NOT NULL REFERENCES themes (id),
    account_id  bigint      REFERENCES reflective_accounts (id),
    section_key text,
    dialogue_id bigint      REFERENCES dialogues (id),
    tagged_by   bigint      REFERENCES users (id),
    tagged_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((account_id IS NOT NULL AND section_key IS NOT NULL AND dialogue_id IS NULL)
        OR (account_id IS NULL AND section_key IS NULL AND dialogue_id IS NOT NULL)),
    UNIQUE NULLS NOT DISTINCT (theme_id, account_id, section_key, dialogue_id)
);
CREATE INDEX theme_tags_fund_idx ON theme_tags (fund_id, theme_id);
CREATE INDEX theme_tags_account_idx ON theme_tags (account_id, section_key);
CREATE INDEX theme_tags_dialogue_idx ON theme_tags (dialogue_id);

CREATE TABLE syntheses (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fund_id      bigint      NOT NULL REFERENCES funds (id),
    title        text        NOT NULL CHECK (btrim(title) <> ''),
    body         text        NOT NULL DEFAULT '',
    period_start date        NOT NULL,
    period_end   date        NOT NULL CHECK (period_end >= period_start),
    status       text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    author_id    bigint      REFERENCES users (id),
    version      integer     NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    published_by bigint      REFERENCES users (id),
    published_at timestamptz,
    CHECK ((status = 'published') = (published_at IS NOT NULL))
);
CREATE INDEX syntheses_fund_idx ON syntheses (fund_id, status);

-- What a synthesis cites: a theme, an account section or a dialogue.
CREATE TABLE synthesis_citations (
    synthesis_id bigint NOT NULL REFERENCES syntheses (id),
    position     integer NOT NULL CHECK (position > 0),
    theme_id     bigint REFERENCES themes (id),
    account_id   bigint REFERENCES reflective_accounts (id),
    section_key  text,
    dialogue_id  bigint REFERENCES dialogues (id),
    PRIMARY KEY (synthesis_id, position),
    CHECK (num_nonnulls(theme_id, account_id, dialogue_id) = 1),
    CHECK ((section_key IS NULL) OR (account_id IS NOT NULL))
);

-- +goose StatementBegin
CREATE FUNCTION syntheses_published_frozen() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    sid bigint;
BEGIN
    IF TG_TABLE_NAME = 'syntheses' THEN
        -- A draft may change, be published or be deleted; a published
        -- synthesis may not.
        IF OLD.status = 'published' THEN
            RAISE EXCEPTION 'a published synthesis never changes; write a new one' USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSE
        IF TG_OP = 'INSERT' THEN
            sid := NEW.synthesis_id;
        ELSE
            sid := OLD.synthesis_id;
        END IF;
        IF EXISTS (SELECT 1 FROM syntheses s WHERE s.id = sid AND s.status = 'published') THEN
            RAISE EXCEPTION 'a published synthesis never changes; write a new one' USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER syntheses_published_frozen BEFORE UPDATE OR DELETE ON syntheses
    FOR EACH ROW EXECUTE FUNCTION syntheses_published_frozen();
CREATE TRIGGER synthesis_citations_frozen BEFORE INSERT OR UPDATE OR DELETE ON synthesis_citations
    FOR EACH ROW EXECUTE FUNCTION syntheses_published_frozen();

-- Full-text search.
CREATE INDEX account_sections_fts_idx ON account_sections USING gin (to_tsvector('english', body));
CREATE INDEX account_stories_fts_idx ON account_stories USING gin (to_tsvector('english', body));
CREATE INDEX account_addenda_fts_idx ON account_addenda USING gin (to_tsvector('english', body));
CREATE INDEX account_responses_fts_idx ON account_responses USING gin (to_tsvector('english', body));
CREATE INDEX syntheses_fts_idx ON syntheses USING gin (to_tsvector('english', title || ' ' || body));

-- +goose Down
DROP INDEX syntheses_fts_idx;
DROP INDEX account_responses_fts_idx;
DROP INDEX account_addenda_fts_idx;
DROP INDEX account_stories_fts_idx;
DROP INDEX account_sections_fts_idx;
DROP TABLE synthesis_citations;
DROP TABLE syntheses;
DROP FUNCTION syntheses_published_frozen();
DROP TABLE theme_tags;
DROP TABLE themes;
