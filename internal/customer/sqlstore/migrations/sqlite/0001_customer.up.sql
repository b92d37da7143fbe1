-- One account per subject (the user id of the access tokens).
CREATE TABLE accounts (
    subject    TEXT     NOT NULL PRIMARY KEY,
    created_at DATETIME NOT NULL
);

-- The viewing profiles of an account; name_key (the case-folded name)
-- keeps names unique within the account.
CREATE TABLE profiles (
    id             TEXT     NOT NULL PRIMARY KEY,
    subject        TEXT     NOT NULL REFERENCES accounts (subject) ON DELETE CASCADE,
    name           TEXT     NOT NULL,
    name_key       TEXT     NOT NULL,
    avatar         TEXT     NOT NULL,
    language       TEXT     NOT NULL,
    kids           BOOLEAN  NOT NULL DEFAULT 0,
    maturity_limit TEXT     NOT NULL,
    version        INTEGER  NOT NULL DEFAULT 1,
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);
CREATE UNIQUE INDEX profiles_subject_name ON profiles (subject, name_key);
CREATE INDEX profiles_subject_created ON profiles (subject, created_at);

-- One row per profile; the lists are JSON arrays.
CREATE TABLE preferences (
    profile_id        TEXT     NOT NULL PRIMARY KEY REFERENCES profiles (id) ON DELETE CASCADE,
    favourite_genres  TEXT     NOT NULL,
    languages         TEXT     NOT NULL,
    maturity_rating   TEXT     NOT NULL,
    notify_email      BOOLEAN  NOT NULL DEFAULT 0,
    notify_push       BOOLEAN  NOT NULL DEFAULT 0,
    notify_newsletter BOOLEAN  NOT NULL DEFAULT 0,
    version           INTEGER  NOT NULL DEFAULT 1,
    updated_at        DATETIME NOT NULL
);
