-- Sessions as rows and lasting ids are not undone: going back would hand ids out again.
DROP TABLE sessions;
