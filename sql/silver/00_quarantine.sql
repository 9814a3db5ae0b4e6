-- Where rows that break a rule go, and what each transform run did with its input. Shared by every layer:
-- Silver transforms write here before promotion, and the quality checks read it.
--
-- A Silver row is checked in this order and records the first rule it breaks (docs/data-dictionary.md lists
-- every rule with its reason): the key and the member; then whether the row is whole (API: every field the
-- v2 contract marks required is present -> missing_required_field naming it; export: truncated_row, the
-- criterion is in 11_export_cycle.sql); only then types, formats and ranges. Only rows that pass every rule
-- reach the MERGE, so a bad newer version never replaces the good Silver row it would have updated.
--
-- Physical bounds and where they come from (shared/whoop/openapi-v2.json = the contract, shared/whoop/NOTES.md
-- = what real members look like):
--   strain 0-21                      contract: CycleScore.strain "scored on a scale from 0 to 21" (workout too)
--   recovery 0-100                   contract: RecoveryScore.recovery_score "Percentage (0-100%)"
--   any percentage 0-100             contract: sleep performance / consistency / efficiency, percent_recorded,
--                                    spo2_percentage are percentages "(0-100%)"
--   heart rate 20-250 bpm            no human heart sustains rates outside it; average <= maximum
--   resting heart rate 20-150 bpm    NOTES: real members rest at 43-61 bpm; above 150 is no resting rate
--   body max heart rate 100-250 bpm  UserBodyMeasurement.max_heart_rate: an adult's maximum is never below 100
--   HRV (RMSSD) > 0 and <= 500 ms    NOTES: medians 43-142 ms; 0 is no signal, > 500 ms is a unit error
--   skin temperature 20-45 C         contract/NOTES: degrees Celsius of the wrist (about 30-37); outside it the
--                                    value is not Celsius of a wearer (e.g. Fahrenheit)
--   respiratory rate 4-60 rpm        NOTES: members breathe 13.6-16.2 rpm asleep
--   timezone offset within +-14:00   the contract's TZD format; UTC offsets in use span -12:00 to +14:00
--   sleep / workout <= 24 h          one record cannot outlast a day (cycles may: a missed sleep makes a cycle
--                                    span days); no duration or stage time below 0
--   zone time fits the workout       API zone_durations (ms, zones 0-5) sum to at most the workout + 1 min;
--                                    export "HR Zone 1-5 %" (rounded integers, zone 0 not exported) sum to at
--                                    most 100 + 3; no zone below 0
--   height 0.5-2.8 m, weight 2-400 kg   human extremes (UserBodyMeasurement)
CREATE SCHEMA IF NOT EXISTS OPS;

CREATE TABLE IF NOT EXISTS OPS.QUARANTINE (
    QUARANTINED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was set aside',
    LAYER VARCHAR NOT NULL COMMENT 'Layer whose rule the row broke: SILVER or GOLD',
    SOURCE_TABLE VARCHAR NOT NULL COMMENT 'Table the row came from, e.g. BRONZE.RAW_SLEEP',
    TARGET_TABLE VARCHAR NOT NULL COMMENT 'Table the row was not promoted to',
    RULE_NAME VARCHAR NOT NULL COMMENT 'The first rule the row broke (see the data dictionary)',
    RULE_DETAIL VARCHAR COMMENT 'The field behind the rule: the absent field for missing_required_field, the cut column for truncated_row',
    MEMBER_REF VARCHAR COMMENT 'WHOOP user id or member name, when the row has one',
    RECORD_KEY VARCHAR COMMENT 'Natural key of the record, when the row has one',
    INGEST_BATCH_ID VARCHAR COMMENT 'Ingest run or export import that loaded the row',
    PAYLOAD_HASH VARCHAR NOT NULL COMMENT 'Identifies the row version; a version is quarantined once per rule',
    PAYLOAD VARIANT COMMENT 'The raw row exactly as Bronze holds it'
) COMMENT = 'Rows held back from promotion, with the rule they broke and their raw payload; nothing is dropped silently';
-- Added after the first release (installs from before it get the column on upgrade; the setup script runs on
-- install and on every upgrade, so IF NOT EXISTS keeps it idempotent).
ALTER TABLE OPS.QUARANTINE ADD COLUMN IF NOT EXISTS RULE_DETAIL VARCHAR
    COMMENT 'The field behind the rule: the absent field for missing_required_field, the cut column for truncated_row';

CREATE TABLE IF NOT EXISTS OPS.TRANSFORM_RUNS (
    RUN_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time of the transform run',
    TARGET_TABLE VARCHAR NOT NULL COMMENT 'Silver table the run built',
    ROWS_READ NUMBER(38, 0) NOT NULL COMMENT 'Bronze rows the run took from the stream (plus any left by a failed run)',
    ROWS_PROMOTED NUMBER(38, 0) NOT NULL COMMENT 'Rows that passed every rule and were merged',
    ROWS_QUARANTINED NUMBER(38, 0) NOT NULL COMMENT 'Rows that broke a rule and went to OPS.QUARANTINE'
) COMMENT = 'One row per Silver transform run: where its input went (read = promoted + quarantined)';
