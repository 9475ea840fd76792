DROP TRIGGER users_grams_update_after;
DROP TRIGGER users_grams_update_before;
DROP TRIGGER users_grams_delete;
DROP TRIGGER users_grams_insert;
DROP VIEW users_gram_rows;
DROP TABLE users_grams;
DROP TABLE search_positions;
