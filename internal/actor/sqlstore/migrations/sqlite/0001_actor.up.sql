CREATE TABLE people (
    id          TEXT     NOT NULL PRIMARY KEY,
    name        TEXT     NOT NULL,
    search_name TEXT     NOT NULL,
    birth_date  TEXT     NOT NULL DEFAULT '',
    death_date  TEXT     NOT NULL DEFAULT '',
    birth_place TEXT     NOT NULL DEFAULT '',
    death_place TEXT     NOT NULL DEFAULT '',
    biography   TEXT     NOT NULL DEFAULT '',
    popularity  REAL     NOT NULL DEFAULT 0,
    version     INTEGER  NOT NULL DEFAULT 1,
    updated_at  DATETIME NOT NULL
);
CREATE INDEX people_search_name ON people (search_name);
CREATE INDEX people_popularity ON people (popularity);

CREATE TABLE person_akas (
    person_id TEXT    NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    ord       INTEGER NOT NULL,
    name      TEXT    NOT NULL,
    PRIMARY KEY (person_id, ord)
);

CREATE TABLE person_professions (
    person_id  TEXT    NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    ord        INTEGER NOT NULL,
    profession TEXT    NOT NULL,
    PRIMARY KEY (person_id, ord)
);
CREATE INDEX person_professions_profession ON person_professions (profession);

CREATE TABLE person_known_for (
    person_id TEXT    NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    ord       INTEGER NOT NULL,
    title_id  TEXT    NOT NULL,
    PRIMARY KEY (person_id, ord)
);
CREATE INDEX person_known_for_title ON person_known_for (title_id);

CREATE TABLE person_images (
    person_id TEXT    NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    ord       INTEGER NOT NULL,
    path      TEXT    NOT NULL,
    width     INTEGER NOT NULL DEFAULT 0,
    height    INTEGER NOT NULL DEFAULT 0,
    language  TEXT    NOT NULL DEFAULT '',
    sizes     TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (person_id, ord)
);

CREATE TABLE person_external_ids (
    source    TEXT NOT NULL,
    value     TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    PRIMARY KEY (source, value)
);
CREATE INDEX person_external_ids_person ON person_external_ids (person_id);

CREATE TABLE person_redirects (
    old_id    TEXT     NOT NULL PRIMARY KEY,
    new_id    TEXT     NOT NULL,
    merged_at DATETIME NOT NULL
);
CREATE INDEX person_redirects_new ON person_redirects (new_id);

CREATE TABLE credits (
    title_id   TEXT    NOT NULL,
    person_id  TEXT    NOT NULL,
    job        TEXT    NOT NULL,
    department TEXT    NOT NULL,
    characters TEXT    NOT NULL DEFAULT '[]',
    ord        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (title_id, person_id, job)
);
CREATE INDEX credits_title_order ON credits (title_id, ord);
CREATE INDEX credits_person ON credits (person_id, title_id);
