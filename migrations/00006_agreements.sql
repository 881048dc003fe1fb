-- Learning agreements.
--
-- Every grant has at most one agreement, written together by the fund's
-- stewards and the grantee and kept in numbered versions. A version is a
-- draft while both sides edit it and becomes signed once both sides have
-- signed the same text; a signed version never changes (a trigger refuses
-- it). Renegotiating starts the next version as a draft copied from the
-- latest signed one. The latest signed version governs the grant.
--
-- content is the agreement itself (see internal/agreement.Content): its
-- reflection cadence is content->'reflection'->>'mode' (written,
-- conversation or report_for_others) and
-- (content->'reflection'->>'every_months')::int. Learning signals carry no
-- target, threshold, score or rating: the application refuses such fields
-- and nothing here stores one.

-- +goose Up
CREATE TABLE agreements (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grant_id        bigint      NOT NULL UNIQUE REFERENCES grants (id),
    fund_id         bigint      NOT NULL REFERENCES funds (id),
    organisation_id bigint      NOT NULL REFERENCES organisations (id),
    created_by      bigint      REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agreements_fund_idx ON agreements (fund_id);
CREATE INDEX agreements_organisation_idx ON agreements (organisation_id);

CREATE TABLE agreement_versions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agreement_id bigint      NOT NULL REFERENCES agreements (id),
    number       integer     NOT NULL CHECK (number > 0),
    status       text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'signed')),
    content      jsonb       NOT NULL CHECK (jsonb_typeof(content) = 'object'),
    -- Each saved edit of a draft adds one; an edit must name the revision
    -- it started from, so nobody overwrites a change they have not seen.
    revision     integer     NOT NULL DEFAULT 1 CHECK (revision > 0),
    -- sha256 of the content in its canonical form (internal/agreement).
    content_hash text        NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    -- The signed version this one renegotiates, if any.
    based_on     integer,
    created_by   bigint      REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   bigint      REFERENCES users (id),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    signed_at    timestamptz NULL,
    UNIQUE (agreement_id, number),
    CHECK ((status = 'signed') = (signed_at IS NOT NULL))
);
-- One draft at a time.
CREATE UNIQUE INDEX agreement_versions_one_draft ON agreement_versions (agreement_id) WHERE status = 'draft';

-- Who signed which revision of a version, for which side. Append-only: an
-- edit after one side signed leaves that signature in place but no longer
-- current (it names an older revision), so the record of who signed what
-- is never lost.
CREATE TABLE agreement_signatures (
    version_id   bigint      NOT NULL REFERENCES agreement_versions (id),
    revision     integer     NOT NULL CHECK (revision > 0),
    side         text        NOT NULL CHECK (side IN ('funder', 'grantee')),
    user_id      bigint      NOT NULL REFERENCES users (id),
    content_hash text        NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    signed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (version_id, revision, side)
);

-- +goose StatementBegin
CREATE FUNCTION agreement_signed_never_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'agreement_versions' THEN
        IF OLD.status = 'signed' THEN
            RAISE EXCEPTION 'a signed agreement version never changes' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    -- agreement_signatures: append-only.
    IF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM agreement_versions v WHERE v.id = NEW.version_id AND v.status = 'signed') THEN
            RAISE EXCEPTION 'a signed agreement version takes no more signatures' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'signatures on an agreement never change' USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER agreement_versions_signed BEFORE UPDATE OR DELETE ON agreement_versions
    FOR EACH ROW EXECUTE FUNCTION agreement_signed_never_changes();
CREATE TRIGGER agreement_signatures_append_only BEFORE INSERT OR UPDATE OR DELETE ON agreement_signatures
    FOR EACH ROW EXECUTE FUNCTION agreement_signed_never_changes();

-- +goose Down
DROP TABLE agreement_signatures;
DROP TABLE agreement_versions;
DROP TABLE agreements;
DROP FUNCTION agreement_signed_never_changes();
