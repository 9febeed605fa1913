DROP TABLE meeting_request_hosts;
DROP TABLE meeting_requests;
DROP TABLE meeting_type_hosts;
DROP TABLE meeting_types;
DROP TABLE leads;
