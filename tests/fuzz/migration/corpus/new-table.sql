CREATE TABLE tag(id INTEGER PRIMARY KEY, item INTEGER REFERENCES item(id), label TEXT);
INSERT INTO tag(item, label) SELECT id, name FROM item;
CREATE INDEX tag_item ON tag(item);
