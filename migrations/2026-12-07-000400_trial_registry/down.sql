DROP TABLE trials;
DELETE FROM red_flag_detections WHERE subject_type = 'trial_registry';
ALTER TABLE red_flag_detections DROP CONSTRAINT red_flag_detections_subject_type;
ALTER TABLE red_flag_detections ADD CONSTRAINT red_flag_detections_subject_type
    CHECK (subject_type IN ('clinic', 'treatment_package'));
DROP TABLE trial_registry_stale_clinics;
DROP TABLE trial_registry_citations;
DROP TABLE trial_registry_snapshots;
DROP TABLE trial_registry_lookups;
