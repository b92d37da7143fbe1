DROP TABLE config_heads;
DROP TABLE config_versions;
