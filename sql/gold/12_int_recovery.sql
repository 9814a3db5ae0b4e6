-- Gold, inner: every recovery once, dated by the wake-up date of the sleep it was scored from, from the API
-- or, when the API never had it, from the export's cycle rows (matched on member and cycle start to the
-- second; API first). Decides the recovery of each day: when two recoveries share a wake date (a split
-- night), the one whose sleep was longest asleep (then the latest) is the day's.
{% from '_gold.sql' import reconciled with context %}
{{ reconciled("RECOVERY",
    "Recoveries reconciled across the API and the CSV export (API first), with the recovery of each day",
    start=("CYCLE_START_UTC", "c.START_UTC"), id=("CYCLE_ID", "r.CYCLE_ID"),
    api_from="SILVER.RECOVERY AS r
    INNER JOIN SILVER.CYCLE AS c ON c.CYCLE_ID = r.CYCLE_ID
    LEFT JOIN SILVER.SLEEP AS s ON s.SLEEP_ID = r.SLEEP_ID",
    export_from="SILVER.EXPORT_CYCLE", scored_by="RECOVERY_SCORE", columns=[
        ("RECOVERY_DATE", "COALESCE(s.WAKE_DATE, c.CYCLE_DATE)",
            "COALESCE(DATEADD(MINUTE, e.OFFSET_MINUTES, e.WAKE_ONSET_UTC)::DATE, e.CYCLE_DATE)"),
        ("ASLEEP_MINUTES", "s.ASLEEP_MINUTES"),
        "SCORE_STATE", "RECOVERY_SCORE", "HRV_RMSSD_MS", "RESTING_HEART_RATE", "SPO2_PERCENTAGE", "SKIN_TEMP_CELSIUS",
        "BRONZE_LOADED_AT",
    ], derived=["SCORE_STATE = 'SCORED' AND ROW_NUMBER() OVER (
        PARTITION BY MEMBER_NAME, RECOVERY_DATE, SCORE_STATE = 'SCORED'
        ORDER BY ASLEEP_MINUTES DESC NULLS LAST, CYCLE_START_UTC DESC
    ) = 1 AS IS_DAY_RECOVERY"]) }}
