-- Auto-assignment within a team, and people who are away.

-- How a team hands out new tickets: 'round_robin' or 'least_open' (no row: nobody is chosen).
CREATE TABLE team_assignment (
    team_id        BIGINT  PRIMARY KEY REFERENCES teams(id) ON DELETE CASCADE,
    mode           TEXT    NOT NULL CHECK (mode IN ('round_robin', 'least_open')),
    -- Round robin: who was given the last ticket.
    last_person_id BIGINT
);

-- People who are away get no tickets handed out (their own stay theirs).
CREATE TABLE people_away (
    person_id BIGINT  PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    since     BIGINT  NOT NULL
);
