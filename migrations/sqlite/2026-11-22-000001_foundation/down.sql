DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE api_keys;
DROP TABLE users;
