DROP TABLE sso_sign_ins;
