-- Gold: one row per scored workout, dated by the local date of its start. zone_duration_minutes is the time
-- in heart-rate zones 1-5 (elevated heart rate); zone 0 is excluded. ZONE_0_MINUTES .. ZONE_5_MINUTES split
-- the workout per zone (zone 0 included), so they add up to its duration within rounding.
{% from '_gold.sql' import date_key, dynamic_table with context %}
{{ dynamic_table("FACT_WORKOUTS",
    "Scored workouts: activity, duration, strain, heart rate, calories, distance, minutes per heart-rate zone") }}
SELECT
    WORKOUT_KEY AS WORKOUT_ID,
    MEMBER_KEY,
    {{ date_key("WORKOUT_DATE") }} AS DATE_KEY,
    ACTIVITY_TYPE_KEY,
    WORKOUT_START_UTC AS WORKOUT_START_TIMESTAMP,
    WORKOUT_END_UTC AS WORKOUT_END_TIMESTAMP,
    WORKOUT_START_LOCAL,
    DURATION_MINUTES,
    STRAIN AS STRAIN_SCORE,
    AVERAGE_HEART_RATE AS AVG_HEART_RATE_BPM,
    MAX_HEART_RATE AS MAX_HEART_RATE_BPM,
    ENERGY_KCAL AS CALORIES_BURNED,
    DISTANCE_METERS,
    ALTITUDE_GAIN_METERS,
    ZONE_DURATION_MINUTES,
    ZONE_0_MINUTES,
    ZONE_1_MINUTES,
    ZONE_2_MINUTES,
    ZONE_3_MINUTES,
    ZONE_4_MINUTES,
    ZONE_5_MINUTES,
    WHOOP_WORKOUT_ID,
    SOURCE,
    BRONZE_LOADED_AT AS LOAD_TIMESTAMP
FROM GOLD.INT_WORKOUT
WHERE SCORE_STATE = 'SCORED';
