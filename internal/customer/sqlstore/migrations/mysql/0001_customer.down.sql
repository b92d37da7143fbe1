DROP TABLE preferences;
DROP TABLE profiles;
DROP TABLE accounts;
