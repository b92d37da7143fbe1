CREATE TABLE titles (
    id                VARCHAR(32)    NOT NULL PRIMARY KEY,
    kind              VARCHAR(32)    NOT NULL,
    title             VARCHAR(1024)    NOT NULL,
    sort_title        VARCHAR(255)    NOT NULL,
    original_title    VARCHAR(1024)    NOT NULL DEFAULT '',
    adult             INT NOT NULL DEFAULT 0,
    start_year        INT NOT NULL DEFAULT 0,
    end_year          INT NOT NULL DEFAULT 0,
    release_date      VARCHAR(10)    NOT NULL DEFAULT '',
    runtime_minutes   INT NOT NULL DEFAULT 0,
    overview          TEXT    NOT NULL,
    tagline           VARCHAR(1024)    NOT NULL DEFAULT '',
    status            VARCHAR(32)    NOT NULL DEFAULT '',
    original_language VARCHAR(16)    NOT NULL DEFAULT '',
    popularity        DOUBLE    NOT NULL DEFAULT 0,
    rating_avg        DOUBLE    NOT NULL DEFAULT 0,
    rating_votes      BIGINT NOT NULL DEFAULT 0,
    parent_id         VARCHAR(32)    NOT NULL DEFAULT '',
    season_number     INT NOT NULL DEFAULT 0,
    episode_number    INT NOT NULL DEFAULT 0,
    version           BIGINT NOT NULL DEFAULT 0,
    updated_at        DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
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
    title_id VARCHAR(32) NOT NULL,
    genre    VARCHAR(64) NOT NULL,
    PRIMARY KEY (title_id, genre)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX title_genres_genre ON title_genres (genre, title_id);

CREATE TABLE title_languages (
    title_id VARCHAR(32) NOT NULL,
    ordering INT NOT NULL,
    language VARCHAR(16) NOT NULL,
    PRIMARY KEY (title_id, ordering)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX title_languages_language ON title_languages (language, title_id);

CREATE TABLE title_countries (
    title_id VARCHAR(32) NOT NULL,
    ordering INT NOT NULL,
    country  VARCHAR(8) NOT NULL,
    PRIMARY KEY (title_id, ordering)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX title_countries_country ON title_countries (country, title_id);

CREATE TABLE title_akas (
    title_id    VARCHAR(32)    NOT NULL,
    ordering    INT NOT NULL,
    title       VARCHAR(1024)    NOT NULL,
    region      VARCHAR(8)    NOT NULL DEFAULT '',
    language    VARCHAR(16)    NOT NULL DEFAULT '',
    types       VARCHAR(255)    NOT NULL DEFAULT '',
    attributes  VARCHAR(255)    NOT NULL DEFAULT '',
    is_original INT NOT NULL DEFAULT 0,
    PRIMARY KEY (title_id, ordering)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE title_releases (
    title_id VARCHAR(32)    NOT NULL,
    ordering INT NOT NULL,
    country  VARCHAR(8)    NOT NULL,
    date     VARCHAR(10)    NOT NULL,
    type     VARCHAR(32)    NOT NULL DEFAULT '',
    note     VARCHAR(255)    NOT NULL DEFAULT '',
    PRIMARY KEY (title_id, ordering)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE title_certifications (
    title_id      VARCHAR(32) NOT NULL,
    country       VARCHAR(8) NOT NULL,
    certification VARCHAR(32) NOT NULL,
    PRIMARY KEY (title_id, country)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX title_certifications_cert ON title_certifications (country, certification, title_id);

CREATE TABLE title_images (
    title_id VARCHAR(32)    NOT NULL,
    ordering INT NOT NULL,
    kind     VARCHAR(32)    NOT NULL,
    path     VARCHAR(1024)    NOT NULL,
    width    INT NOT NULL DEFAULT 0,
    height   INT NOT NULL DEFAULT 0,
    language VARCHAR(16)    NOT NULL DEFAULT '',
    sizes    VARCHAR(255)    NOT NULL DEFAULT '',
    PRIMARY KEY (title_id, ordering)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE title_external_ids (
    source      VARCHAR(16) NOT NULL,
    external_id VARCHAR(64) NOT NULL,
    title_id    VARCHAR(32) NOT NULL,
    PRIMARY KEY (source, external_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX title_external_ids_title ON title_external_ids (title_id);
