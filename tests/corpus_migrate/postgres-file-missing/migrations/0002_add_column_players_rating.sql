-- Written by hand for the corpus.

ALTER TABLE players ADD COLUMN rating INTEGER;
