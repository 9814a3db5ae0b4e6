-- Silver: one typed row per WHOOP cycle, the version with the latest updated_at.
-- Every Silver table is built the same way (one macro, sql/silver/_entity.sql): the task takes the Bronze stream's rows
-- into a PENDING table in one statement (that consumes the stream), rows that break a rule go to
-- OPS.QUARANTINE, the rest are MERGEd, the run is counted in OPS.TRANSFORM_RUNS and PENDING is emptied.
-- A run that fails part-way leaves its rows in PENDING; the next run processes them again, and every
-- step is idempotent, so nothing is lost or doubled.
{% from '_entity.sql' import api_checks, api_detail, api_lineage, api_lineage_columns, api_local, api_span, api_strain_checks, api_typed, entity, missing_field, scored_only %}
{%- set comment = "Typed, deduplicated WHOOP cycles; latest updated_at wins" %}
{%- set columns %}
    CYCLE_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP cycle id (natural key)',
    MEMBER_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP user id',
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member as registered in CONFIG.MEMBERS',
    START_UTC TIMESTAMP_NTZ NOT NULL COMMENT 'Cycle start (sleep onset), UTC',
    END_UTC TIMESTAMP_NTZ COMMENT 'Cycle end, UTC; NULL while the cycle is open (the current one)',
    TIMEZONE_OFFSET VARCHAR NOT NULL COMMENT 'The member''s offset for this record: +hh:mm, -hh:mm or Z',
    OFFSET_MINUTES NUMBER(38, 0) NOT NULL COMMENT 'TIMEZONE_OFFSET as minutes east of UTC',
    START_LOCAL TIMESTAMP_NTZ NOT NULL COMMENT 'Cycle start in the member''s local time',
    END_LOCAL TIMESTAMP_NTZ COMMENT 'Cycle end in the member''s local time',
    CYCLE_DATE DATE NOT NULL COMMENT 'Physiological day: local date of start + 12 h (a cycle starts at sleep onset)',
    SCORE_STATE VARCHAR NOT NULL COMMENT 'SCORED, PENDING_SCORE or UNSCORABLE; scores are NULL unless SCORED',
    DAY_STRAIN FLOAT COMMENT 'Day strain, 0-21',
    ENERGY_KILOJOULE FLOAT COMMENT 'Energy expended, kJ as WHOOP reports it',
    ENERGY_KCAL FLOAT COMMENT 'Energy expended, kcal = kJ / 4.184',
    AVERAGE_HEART_RATE NUMBER(38, 0) COMMENT 'Average heart rate over the cycle, bpm',
    MAX_HEART_RATE NUMBER(38, 0) COMMENT 'Maximum heart rate over the cycle, bpm',
    {{ api_lineage_columns("When this version reached Bronze; the lineage timestamp Gold carries") }}
{%- endset %}
{%- call entity("CYCLE", "BRONZE.RAW_CYCLE", ["CYCLE_ID"], columns, "updated", comment) %}
    {{ api_typed("BRONZE.RAW_CYCLE_STREAM") }},
            TRY_TO_NUMBER(raw.PAYLOAD:id::VARCHAR) AS CYCLE_ID,
            {{ api_span() }},
            raw.PAYLOAD:start::VARCHAR AS START_TEXT,
            raw.PAYLOAD:end::VARCHAR AS END_TEXT,
            raw.PAYLOAD:score_state::VARCHAR AS SCORE_STATE,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.strain::VARCHAR) AS DAY_STRAIN,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.kilojoule::VARCHAR) AS ENERGY_KILOJOULE,
            TRY_TO_NUMBER(raw.PAYLOAD:score.average_heart_rate::VARCHAR) AS AVERAGE_HEART_RATE,
            TRY_TO_NUMBER(raw.PAYLOAD:score.max_heart_rate::VARCHAR) AS MAX_HEART_RATE,
            -- the first field the v2 contract marks required that is absent or JSON null (STRIP_NULL_VALUE
            -- turns a JSON null into SQL NULL, an absent path is SQL NULL already:
            -- https://docs.snowflake.com/en/sql-reference/functions/strip_null_value);
            -- id has its own rule (missing_key); a SCORED cycle without any score is missing_score
            {{ missing_field("raw.PAYLOAD", ["user_id", "created_at", "updated_at", "start", "timezone_offset", "score_state"], ["score.strain", "score.kilojoule", "score.average_heart_rate", "score.max_heart_rate"]) }},
            {{ api_lineage() }}
    )
    SELECT
        CYCLE_ID, MEMBER_ID, MEMBER_NAME, START_UTC, END_UTC, TIMEZONE_OFFSET, OFFSET_MINUTES,
        {{ api_local() }},
        DATEADD(HOUR, 12, DATEADD(MINUTE, OFFSET_MINUTES, START_UTC))::DATE AS CYCLE_DATE,
        SCORE_STATE,
        {{ scored_only(["DAY_STRAIN", "ENERGY_KILOJOULE"]) }},
        IFF(SCORE_STATE = 'SCORED', ROUND(ENERGY_KILOJOULE / 4.184, 1), NULL) AS ENERGY_KCAL,
        {{ scored_only(["AVERAGE_HEART_RATE", "MAX_HEART_RATE"]) }},
        CREATED_AT, UPDATED_AT, BRONZE_LOADED_AT, PAYLOAD_HASH, INGEST_BATCH_ID, RECORD_KEY,
        CASE
            {{ api_checks("CYCLE_ID") }}
            WHEN START_UTC IS NULL OR UPDATED_AT IS NULL OR CREATED_AT IS NULL
                OR (END_TEXT IS NOT NULL AND END_UTC IS NULL) THEN 'unparseable_timestamp'
            WHEN OFFSET_MINUTES IS NULL OR ABS(OFFSET_MINUTES) > 14 * 60 THEN 'invalid_timezone_offset'
            WHEN SCORE_STATE IS NULL OR SCORE_STATE NOT IN ('SCORED', 'PENDING_SCORE', 'UNSCORABLE')
                THEN 'invalid_score_state'
            WHEN END_UTC < START_UTC THEN 'negative_duration'
            {{ api_strain_checks("DAY_STRAIN") }}
        END AS FAILED_RULE,
        {{ api_detail("CYCLE_ID") }},
        PAYLOAD
    FROM typed
{%- endcall %}
