-- Silver: one typed row per cycle, the version with the latest updated_at.
CREATE SCHEMA IF NOT EXISTS SILVER;

CREATE TABLE IF NOT EXISTS SILVER.CYCLE (
    CYCLE_ID NUMBER(38, 0) NOT NULL,
    MEMBER_ID NUMBER(38, 0) NOT NULL,
    START_UTC TIMESTAMP_NTZ NOT NULL,
    END_UTC TIMESTAMP_NTZ COMMENT 'NULL while the cycle is open (the current one)',
    TIMEZONE_OFFSET VARCHAR NOT NULL,
    OFFSET_MINUTES NUMBER(38, 0) NOT NULL COMMENT 'timezone_offset as minutes east of UTC',
    START_LOCAL TIMESTAMP_NTZ NOT NULL,
    CYCLE_DATE DATE NOT NULL COMMENT 'Local physiological day: local date of start + 12 h (a cycle starts at sleep onset)',
    SCORE_STATE VARCHAR NOT NULL,
    DAY_STRAIN FLOAT,
    ENERGY_KILOJOULE FLOAT,
    ENERGY_KCAL FLOAT COMMENT 'kilojoule / 4.184',
    AVERAGE_HEART_RATE NUMBER(38, 0),
    MAX_HEART_RATE NUMBER(38, 0),
    CREATED_AT TIMESTAMP_NTZ NOT NULL,
    UPDATED_AT TIMESTAMP_NTZ NOT NULL,
    BRONZE_LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'When this version reached Bronze; the lineage timestamp Gold carries'
) COMMENT = 'Typed, deduplicated WHOOP cycles; latest updated_at wins';
