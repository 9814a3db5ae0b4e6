-- Gold, inner: every recovery once, dated by the wake-up date of the sleep it was scored from, from the API
-- or, when the API never had it, from the export's cycle rows (matched on member and cycle start to the
-- second; API first). Decides the recovery of each day: when two recoveries share a wake date (a split
-- night), the one whose sleep was longest asleep (then the latest) is the day's.
{% from '_gold.sql' import api_first, dynamic_table with context %}
{{ dynamic_table("INT_RECOVERY",
    "Recoveries reconciled across the API and the CSV export (API first), with the recovery of each day",
    lag="DOWNSTREAM") }}
{{ api_first("RECOVERY", "CYCLE_START_UTC", "SILVER.RECOVERY AS r
    INNER JOIN SILVER.CYCLE AS c ON c.CYCLE_ID = r.CYCLE_ID
    LEFT JOIN SILVER.SLEEP AS s ON s.SLEEP_ID = r.SLEEP_ID", "SILVER.EXPORT_CYCLE", [
    "MEMBER_NAME",
    ("CYCLE_START_UTC", "DATE_TRUNC('SECOND', c.START_UTC)"),
    ("CYCLE_ID", none, "NULL"),
    ("RECOVERY_DATE", "COALESCE(s.WAKE_DATE, c.CYCLE_DATE)",
        "COALESCE(DATEADD(MINUTE, e.OFFSET_MINUTES, e.WAKE_ONSET_UTC)::DATE, e.CYCLE_DATE)"),
    ("ASLEEP_MINUTES", "s.ASLEEP_MINUTES"),
    ("SCORE_STATE", none, "IFF(e.RECOVERY_SCORE IS NULL, 'PENDING_SCORE', 'SCORED')"),
    "RECOVERY_SCORE", "HRV_RMSSD_MS", "RESTING_HEART_RATE", "SPO2_PERCENTAGE", "SKIN_TEMP_CELSIUS",
    "BRONZE_LOADED_AT",
], derived=["SCORE_STATE = 'SCORED' AND ROW_NUMBER() OVER (
        PARTITION BY MEMBER_NAME, RECOVERY_DATE, SCORE_STATE = 'SCORED'
        ORDER BY ASLEEP_MINUTES DESC NULLS LAST, CYCLE_START_UTC DESC
    ) = 1 AS IS_DAY_RECOVERY"]) }};
