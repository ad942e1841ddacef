-- Full-text search over what was said (messages) and done (the work log),
-- for the palette. FTS5 indexes over the projections with external content
-- (the text is stored once, in the projection), kept by triggers: every
-- change to a projected row changes its index entry in the same
-- transaction, so a rebuild of the projections rebuilds the search too.
-- `prefix`: indexes of every word's first 2 and 3 letters, so a search
-- while typing ("bor") is as quick as a whole word.
CREATE VIRTUAL TABLE search_messages USING fts5(
    text,
    content = 'projection_messages',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
CREATE TRIGGER search_messages_insert AFTER INSERT ON projection_messages BEGIN
    INSERT INTO search_messages (rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER search_messages_delete AFTER DELETE ON projection_messages BEGIN
    INSERT INTO search_messages (search_messages, rowid, text)
    VALUES ('delete', old.rowid, old.text);
END;
CREATE TRIGGER search_messages_update AFTER UPDATE OF text ON projection_messages BEGIN
    INSERT INTO search_messages (search_messages, rowid, text)
    VALUES ('delete', old.rowid, old.text);
    INSERT INTO search_messages (rowid, text) VALUES (new.rowid, new.text);
END;
INSERT INTO search_messages (search_messages) VALUES ('rebuild');

CREATE VIRTUAL TABLE search_activities USING fts5(
    summary,
    detail,
    content = 'projection_activities',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
CREATE TRIGGER search_activities_insert AFTER INSERT ON projection_activities BEGIN
    INSERT INTO search_activities (rowid, summary, detail)
    VALUES (new.rowid, new.summary, new.detail);
END;
CREATE TRIGGER search_activities_delete AFTER DELETE ON projection_activities BEGIN
    INSERT INTO search_activities (search_activities, rowid, summary, detail)
    VALUES ('delete', old.rowid, old.summary, old.detail);
END;
CREATE TRIGGER search_activities_update AFTER UPDATE OF summary, detail ON projection_activities BEGIN
    INSERT INTO search_activities (search_activities, rowid, summary, detail)
    VALUES ('delete', old.rowid, old.summary, old.detail);
    INSERT INTO search_activities (rowid, summary, detail)
    VALUES (new.rowid, new.summary, new.detail);
END;
INSERT INTO search_activities (search_activities) VALUES ('rebuild');
