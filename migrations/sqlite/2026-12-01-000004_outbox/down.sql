DROP TABLE emails;
DROP TABLE server_secrets;
