DROP TABLE crm_owner_pulls;
DROP TABLE crm_owners;
DROP TABLE crm_records;
