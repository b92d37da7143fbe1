CREATE TABLE titles (
    id                TEXT    NOT NULL PRIMARY KEY,
    kind              TEXT    NOT NULL,
    title             TEXT    NOT NULL,
    sort_title        TEXT    NOT NULL,
    original_title    TEXT    NOT NULL DEFAULT '',
    adult             INTEGER NOT NULL DEFAULT 0,
    start_year        INTEGER NOT NULL DEFAULT 0,
    end_year          INTEGER NOT NULL DEFAULT 0,
    release_date      TEXT    NOT NULL DEFAULT '',
    runtime_minutes   INTEGER NOT NULL DEFAULT 0,
    overview          TEXT    NOT NULL DEFAULT '',
    tagline           TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL DEFAULT '',
    original_language TEXT    NOT NULL DEFAULT '',
    popularity        REAL    NOT NULL DEFAULT 0,
    rating_avg        REAL    NOT NULL DEFAULT 0,
    rating_votes      INTEGER NOT NULL DEFAULT 0,
    parent_id         TEXT    NOT NULL DEFAULT '',
    season_number     INTEGER NOT NULL DEFAULT 0,
    episode_number    INTEGER NOT NULL DEFAULT 0,
    version           INTEGER NOT NULL DEFAULT 0,
    updated_at        DATETIME NOT NULL
);
-- Discover's sorts, each with the id tie-break of keyset pagination.
CREATE INDEX titles_popularity ON titles (popularity, id);
CREATE INDEX titles_rating ON titles (rating_avg, id);
CREATE INDEX titles_release ON titles (release_date, id);
CREATE INDEX titles_sort_title ON titles (sort_title, id);
CREATE INDEX titles_kind_popularity ON titles (kind, popularity, id);
CREATE INDEX titles_year ON titles (start_year);
CREATE INDEX titles_votes ON titles (rating_votes);
CREATE INDEX titles_episodes ON titles (parent_id, season_number, episode_number);

CREATE TABLE title_genres (
    title_id TEXT NOT NULL,
    genre    TEXT NOT NULL,
    PRIMARY KEY (title_id, genre)
);
CREATE INDEX title_genres_genre ON title_genres (genre, title_id);

CREATE TABLE title_languages (
    title_id TEXT NOT NULL,
    ordering INTEGER NOT NULL,
    language TEXT NOT NULL,
    PRIMARY KEY (title_id, ordering)
);
CREATE INDEX title_languages_language ON title_languages (language, title_id);

CREATE TABLE title_countries (
    title_id TEXT NOT NULL,
    ordering INTEGER NOT NULL,
    country  TEXT NOT NULL,
    PRIMARY KEY (title_id, ordering)
);
CREATE INDEX title_countries_country ON title_countries (country, title_id);

CREATE TABLE title_akas (
    title_id    TEXT    NOT NULL,
    ordering    INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    region      TEXT    NOT NULL DEFAULT '',
    language    TEXT    NOT NULL DEFAULT '',
    types       TEXT    NOT NULL DEFAULT '',
    attributes  TEXT    NOT NULL DEFAULT '',
    is_original INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (title_id, ordering)
);

CREATE TABLE title_releases (
    title_id TEXT    NOT NULL,
    ordering INTEGER NOT NULL,
    country  TEXT    NOT NULL,
    date     TEXT    NOT NULL,
    type     TEXT    NOT NULL DEFAULT '',
    note     TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (title_id, ordering)
);

CREATE TABLE title_certifications (
    title_id      TEXT NOT NULL,
    country       TEXT NOT NULL,
    certification TEXT NOT NULL,
    PRIMARY KEY (title_id, country)
);
CREATE INDEX title_certifications_cert ON title_certifications (country, certification, title_id);

CREATE TABLE title_images (
    title_id TEXT    NOT NULL,
    ordering INTEGER NOT NULL,
    kind     TEXT    NOT NULL,
    path     TEXT    NOT NULL,
    width    INTEGER NOT NULL DEFAULT 0,
    height   INTEGER NOT NULL DEFAULT 0,
    language TEXT    NOT NULL DEFAULT '',
    sizes    TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (title_id, ordering)
);

CREATE TABLE title_external_ids (
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    title_id    TEXT NOT NULL,
    PRIMARY KEY (source, external_id)
);
CREATE INDEX title_external_ids_title ON title_external_ids (title_id);
