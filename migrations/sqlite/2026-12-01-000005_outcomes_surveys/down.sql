DROP INDEX meeting_requests_report;
DROP INDEX meetings_report;
DROP TABLE survey_responses;
DROP TABLE survey_invitations;
DROP TABLE opportunity_stage_changes;
DROP TABLE opportunities;
DROP TABLE meeting_outcomes;
