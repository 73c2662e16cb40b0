-- Version 2: pinned notes come first. A column with a default, so code written for version 1
-- keeps working on a migrated workspace while the fleet migrates one instance at a time.
ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
