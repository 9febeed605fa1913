DROP INDEX leads_owner;
ALTER TABLE leads DROP COLUMN owner_id;
DROP TABLE round_robin_assignments;
DROP TABLE routings;
DROP TABLE meeting_type_host_weights;
DROP TABLE router_versions;
DROP TABLE routers;
