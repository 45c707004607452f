DROP TABLE evidence_summaries;
DROP TABLE studies;
