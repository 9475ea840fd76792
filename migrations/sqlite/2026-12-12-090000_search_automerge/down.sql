INSERT INTO users_search (users_search, rank) VALUES ('automerge', 4);
INSERT INTO users_grams (users_grams, rank) VALUES ('automerge', 4);
