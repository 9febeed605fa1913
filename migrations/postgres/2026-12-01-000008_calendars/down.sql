DROP TABLE calendar_events;
DROP TABLE calendar_busy;
DROP TABLE oauth_states;
DROP TABLE calendar_connections;
DROP FUNCTION bump_availability_version_always();
