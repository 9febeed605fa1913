DROP INDEX meetings_prospect;
ALTER TABLE meetings DROP COLUMN prospect_key;
