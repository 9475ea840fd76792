-- Fewer FTS5 merges while users are written (issue 33). Each job's batch adds a
-- segment to users_search and users_grams, and with automerge at its default of 4,
-- FTS5 merged segments as soon as four met on a level: at a million users most of an
-- import's time went to rewriting older segments (perf: fts5MultiIterNext,
-- fts5IndexMergeLevel). At 16, an import of 50,000 rows into a million-user domain took
-- 19 s instead of 31 s, and 12 s instead of 15 s (two runs, alternating). A search reads
-- a term's list from more segments, which measured no clear difference.
INSERT INTO users_search (users_search, rank) VALUES ('automerge', 16);
INSERT INTO users_grams (users_grams, rank) VALUES ('automerge', 16);
