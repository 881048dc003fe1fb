-- A draft round may be sketched before its dates are settled: its four
-- windows may be empty while it is a draft, and must all be set before it
-- opens for applications (the service checks this and says what is
-- missing; the constraint is the database's own guard).

-- +goose Up
ALTER TABLE rounds
    ALTER COLUMN applications_open_at DROP NOT NULL,
    ALTER COLUMN applications_close_at DROP NOT NULL,
    ALTER COLUMN voting_open_at DROP NOT NULL,
    ALTER COLUMN voting_close_at DROP NOT NULL,
    ADD CONSTRAINT rounds_windows_set_after_draft CHECK (
        state = 'draft' OR (applications_open_at IS NOT NULL AND applications_close_at IS NOT NULL
                            AND voting_open_at IS NOT NULL AND voting_close_at IS NOT NULL));

-- +goose Down
-- Fails while a draft round has an empty window: set its dates first.
ALTER TABLE rounds
    DROP CONSTRAINT rounds_windows_set_after_draft,
    ALTER COLUMN applications_open_at SET NOT NULL,
    ALTER COLUMN applications_close_at SET NOT NULL,
    ALTER COLUMN voting_open_at SET NOT NULL,
    ALTER COLUMN voting_close_at SET NOT NULL;
