DROP TABLE credits;
DROP TABLE person_redirects;
DROP TABLE person_external_ids;
DROP TABLE person_images;
DROP TABLE person_known_for;
DROP TABLE person_professions;
DROP TABLE person_akas;
DROP TABLE people;
