-- Ballots: one per panel member per round, the whole ballot as JSON
-- (validated by the ballot service against the round's method), revised
-- freely while voting is open and frozen after.

-- +goose Up
CREATE TABLE ballots (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id   bigint      NOT NULL REFERENCES rounds (id),
    user_id    bigint      NOT NULL REFERENCES users (id),
    contents   jsonb       NOT NULL CHECK (jsonb_typeof(contents) = 'object'),
    version    integer     NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (round_id, user_id)
);

-- +goose Down
DROP TABLE ballots;
