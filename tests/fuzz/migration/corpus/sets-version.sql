CREATE TABLE x(a);
PRAGMA user_version = 7;
