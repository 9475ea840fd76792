DROP INDEX users_grams;
ALTER TABLE users DROP COLUMN search_grams;
DROP FUNCTION portal_grams(text);
