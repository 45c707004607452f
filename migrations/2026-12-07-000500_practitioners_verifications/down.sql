DROP TABLE verification_expiries;
DROP TRIGGER verifications_no_update ON verifications;
DROP FUNCTION verifications_append_only();
DROP TABLE verifications;
DROP TABLE practitioners;
