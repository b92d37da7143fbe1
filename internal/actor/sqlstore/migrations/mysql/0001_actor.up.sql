CREATE TABLE people (
    id          VARCHAR(20)  NOT NULL PRIMARY KEY,
    name        VARCHAR(500) NOT NULL,
    search_name VARCHAR(500) NOT NULL,
    birth_date  VARCHAR(10)  NOT NULL DEFAULT '',
    death_date  VARCHAR(10)  NOT NULL DEFAULT '',
    birth_place VARCHAR(500) NOT NULL DEFAULT '',
    death_place VARCHAR(500) NOT NULL DEFAULT '',
    biography   MEDIUMTEXT   NOT NULL,
    popularity  DOUBLE       NOT NULL DEFAULT 0,
    version     BIGINT       NOT NULL DEFAULT 1,
    updated_at  DATETIME(6)  NOT NULL,
    KEY people_search_name (search_name(191)),
    KEY people_popularity (popularity)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE person_akas (
    person_id VARCHAR(20)  NOT NULL,
    ord       INT          NOT NULL,
    name      VARCHAR(500) NOT NULL,
    PRIMARY KEY (person_id, ord),
    CONSTRAINT person_akas_person FOREIGN KEY (person_id) REFERENCES people (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE person_professions (
    person_id  VARCHAR(20) NOT NULL,
    ord        INT         NOT NULL,
    profession VARCHAR(60) NOT NULL,
    PRIMARY KEY (person_id, ord),
    KEY person_professions_profession (profession),
    CONSTRAINT person_professions_person FOREIGN KEY (person_id) REFERENCES people (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE person_known_for (
    person_id VARCHAR(20) NOT NULL,
    ord       INT         NOT NULL,
    title_id  VARCHAR(20) NOT NULL,
    PRIMARY KEY (person_id, ord),
    KEY person_known_for_title (title_id),
    CONSTRAINT person_known_for_person FOREIGN KEY (person_id) REFERENCES people (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE person_images (
    person_id VARCHAR(20)  NOT NULL,
    ord       INT          NOT NULL,
    path      VARCHAR(500) NOT NULL,
    width     INT          NOT NULL DEFAULT 0,
    height    INT          NOT NULL DEFAULT 0,
    language  VARCHAR(10)  NOT NULL DEFAULT '',
    sizes     VARCHAR(200) NOT NULL DEFAULT '',
    PRIMARY KEY (person_id, ord),
    CONSTRAINT person_images_person FOREIGN KEY (person_id) REFERENCES people (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE person_external_ids (
    source    VARCHAR(10) NOT NULL,
    value     VARCHAR(40) NOT NULL,
    person_id VARCHAR(20) NOT NULL,
    PRIMARY KEY (source, value),
    KEY person_external_ids_person (person_id),
    CONSTRAINT person_external_ids_person FOREIGN KEY (person_id) REFERENCES people (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE person_redirects (
    old_id    VARCHAR(20) NOT NULL PRIMARY KEY,
    new_id    VARCHAR(20) NOT NULL,
    merged_at DATETIME(6) NOT NULL,
    KEY person_redirects_new (new_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE credits (
    title_id   VARCHAR(20)  NOT NULL,
    person_id  VARCHAR(20)  NOT NULL,
    job        VARCHAR(100) NOT NULL,
    department VARCHAR(20)  NOT NULL,
    characters TEXT         NOT NULL,
    ord        INT          NOT NULL DEFAULT 0,
    PRIMARY KEY (title_id, person_id, job),
    KEY credits_title_order (title_id, ord),
    KEY credits_person (person_id, title_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
