-- One account per subject (the user id of the access tokens).
CREATE TABLE accounts (
    subject    VARCHAR(255) NOT NULL PRIMARY KEY,
    created_at DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The viewing profiles of an account; name_key (the case-folded name)
-- keeps names unique within the account.
CREATE TABLE profiles (
    id             VARCHAR(28)  NOT NULL PRIMARY KEY,
    subject        VARCHAR(255) NOT NULL,
    name           VARCHAR(160) NOT NULL,
    name_key       VARCHAR(160) NOT NULL,
    avatar         VARCHAR(500) NOT NULL,
    language       VARCHAR(35)  NOT NULL,
    kids           BOOLEAN      NOT NULL DEFAULT 0,
    maturity_limit VARCHAR(3)   NOT NULL,
    version        BIGINT       NOT NULL DEFAULT 1,
    created_at     DATETIME(6)  NOT NULL,
    updated_at     DATETIME(6)  NOT NULL,
    UNIQUE KEY profiles_subject_name (subject, name_key),
    KEY profiles_subject_created (subject, created_at),
    CONSTRAINT profiles_account FOREIGN KEY (subject) REFERENCES accounts (subject) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per profile; the lists are JSON arrays.
CREATE TABLE preferences (
    profile_id        VARCHAR(28) NOT NULL PRIMARY KEY,
    favourite_genres  TEXT        NOT NULL,
    languages         TEXT        NOT NULL,
    maturity_rating   VARCHAR(3)  NOT NULL,
    notify_email      BOOLEAN     NOT NULL DEFAULT 0,
    notify_push       BOOLEAN     NOT NULL DEFAULT 0,
    notify_newsletter BOOLEAN     NOT NULL DEFAULT 0,
    version           BIGINT      NOT NULL DEFAULT 1,
    updated_at        DATETIME(6) NOT NULL,
    CONSTRAINT preferences_profile FOREIGN KEY (profile_id) REFERENCES profiles (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
