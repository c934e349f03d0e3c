-- The PostgreSQL version of the schema's trigger (a PL/pgSQL function).

-- storegen: posts_count_edits
CREATE OR REPLACE FUNCTION posts_count_edits() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts SET edits = edits + 1 WHERE id = NEW.id;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER posts_count_edits AFTER UPDATE OF title, status ON posts
    FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION posts_count_edits();
