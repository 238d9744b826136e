UPDATE item SET name = upper(name);
CREATE TRIGGER t AFTER INSERT ON item BEGIN UPDATE item SET name = lower(new.name) WHERE id = new.id; END;
