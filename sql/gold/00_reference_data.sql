-- Gold reference data: WHOOP's sport catalogue (the v1 sport ids WHOOP still sends, the v2 sport_name, the
-- name the app shows and exports) with a category for grouping. GOLD.DIM_ACTIVITY_TYPE adds any sport WHOOP
-- introduces later under 'Uncategorised', so a new sport never breaks the foreign key from FACT_WORKOUTS.
-- The sport name is the join key everywhere: v2 sends it on every workout and the export's activity name
-- normalises to it (lower case, spaces to '-').
CREATE SCHEMA IF NOT EXISTS GOLD;

CREATE TABLE IF NOT EXISTS GOLD.WHOOP_SPORT_CATALOGUE (
    SPORT_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP sport id (deprecated in v2, still sent)',
    SPORT_NAME VARCHAR NOT NULL COMMENT 'v2 sport_name: lower case, words joined by -',
    ACTIVITY_NAME VARCHAR NOT NULL COMMENT 'Name as the WHOOP app shows and exports it',
    ACTIVITY_CATEGORY VARCHAR NOT NULL COMMENT 'Grouping for reports: Cardio, Strength, Team Sport, Recovery, ...'
) COMMENT = 'WHOOP sport catalogue (reference data shipped with the app)';

MERGE INTO GOLD.WHOOP_SPORT_CATALOGUE AS tgt
USING (
    SELECT SPORT_ID, SPORT_NAME, ACTIVITY_NAME, ACTIVITY_CATEGORY
    FROM VALUES
        (-1, 'activity', 'Activity', 'Other'),
        (0, 'running', 'Running', 'Cardio'),
        (1, 'cycling', 'Cycling', 'Cardio'),
        (16, 'baseball', 'Baseball', 'Team Sport'),
        (17, 'basketball', 'Basketball', 'Team Sport'),
        (18, 'rowing', 'Rowing', 'Cardio'),
        (19, 'fencing', 'Fencing', 'Combat'),
        (20, 'field-hockey', 'Field Hockey', 'Team Sport'),
        (21, 'football', 'Football', 'Team Sport'),
        (22, 'golf', 'Golf', 'Outdoor'),
        (24, 'ice-hockey', 'Ice Hockey', 'Team Sport'),
        (25, 'lacrosse', 'Lacrosse', 'Team Sport'),
        (27, 'rugby', 'Rugby', 'Team Sport'),
        (28, 'sailing', 'Sailing', 'Water'),
        (29, 'skiing', 'Skiing', 'Winter'),
        (30, 'soccer', 'Soccer', 'Team Sport'),
        (31, 'softball', 'Softball', 'Team Sport'),
        (32, 'squash', 'Squash', 'Racket Sport'),
        (33, 'swimming', 'Swimming', 'Water'),
        (34, 'tennis', 'Tennis', 'Racket Sport'),
        (35, 'track-&-field', 'Track & Field', 'Cardio'),
        (36, 'volleyball', 'Volleyball', 'Team Sport'),
        (37, 'water-polo', 'Water Polo', 'Water'),
        (38, 'wrestling', 'Wrestling', 'Combat'),
        (39, 'boxing', 'Boxing', 'Combat'),
        (42, 'dance', 'Dance', 'Mind & Body'),
        (43, 'pilates', 'Pilates', 'Mind & Body'),
        (44, 'yoga', 'Yoga', 'Mind & Body'),
        (45, 'weightlifting', 'Weightlifting', 'Strength'),
        (47, 'cross-country-skiing', 'Cross Country Skiing', 'Winter'),
        (48, 'functional-fitness', 'Functional Fitness', 'Strength'),
        (49, 'duathlon', 'Duathlon', 'Cardio'),
        (51, 'gymnastics', 'Gymnastics', 'Strength'),
        (52, 'hiking/rucking', 'Hiking/Rucking', 'Outdoor'),
        (53, 'horseback-riding', 'Horseback Riding', 'Outdoor'),
        (55, 'kayaking', 'Kayaking', 'Water'),
        (56, 'martial-arts', 'Martial Arts', 'Combat'),
        (57, 'mountain-biking', 'Mountain Biking', 'Cardio'),
        (59, 'powerlifting', 'Powerlifting', 'Strength'),
        (60, 'rock-climbing', 'Rock Climbing', 'Outdoor'),
        (61, 'paddleboarding', 'Paddleboarding', 'Water'),
        (62, 'triathlon', 'Triathlon', 'Cardio'),
        (63, 'walking', 'Walking', 'Everyday'),
        (64, 'surfing', 'Surfing', 'Water'),
        (65, 'elliptical', 'Elliptical', 'Cardio'),
        (66, 'stairmaster', 'Stairmaster', 'Cardio'),
        (70, 'meditation', 'Meditation', 'Recovery'),
        (71, 'other', 'Other', 'Other'),
        (73, 'diving', 'Diving', 'Water'),
        (74, 'operations-tactical', 'Operations - Tactical', 'Occupational'),
        (75, 'operations-medical', 'Operations - Medical', 'Occupational'),
        (76, 'operations-flying', 'Operations - Flying', 'Occupational'),
        (77, 'operations-water', 'Operations - Water', 'Occupational'),
        (82, 'ultimate', 'Ultimate', 'Team Sport'),
        (83, 'climber', 'Climber', 'Cardio'),
        (84, 'jumping-rope', 'Jumping Rope', 'Cardio'),
        (85, 'australian-football', 'Australian Football', 'Team Sport'),
        (86, 'skateboarding', 'Skateboarding', 'Outdoor'),
        (87, 'coaching', 'Coaching', 'Occupational'),
        (88, 'ice-bath', 'Ice Bath', 'Recovery'),
        (89, 'commuting', 'Commuting', 'Everyday'),
        (90, 'gaming', 'Gaming', 'Everyday'),
        (91, 'snowboarding', 'Snowboarding', 'Winter'),
        (92, 'motocross', 'Motocross', 'Outdoor'),
        (93, 'caddying', 'Caddying', 'Occupational'),
        (94, 'obstacle-course-racing', 'Obstacle Course Racing', 'Cardio'),
        (95, 'motor-racing', 'Motor Racing', 'Outdoor'),
        (96, 'hiit', 'HIIT', 'Cardio'),
        (97, 'spin', 'Spin', 'Cardio'),
        (98, 'jiu-jitsu', 'Jiu Jitsu', 'Combat'),
        (99, 'manual-labor', 'Manual Labor', 'Occupational'),
        (100, 'cricket', 'Cricket', 'Team Sport'),
        (101, 'pickleball', 'Pickleball', 'Racket Sport'),
        (102, 'inline-skating', 'Inline Skating', 'Outdoor'),
        (103, 'box-fitness', 'Box Fitness', 'Combat'),
        (104, 'spikeball', 'Spikeball', 'Team Sport'),
        (105, 'wheelchair-pushing', 'Wheelchair Pushing', 'Everyday'),
        (106, 'paddle-tennis', 'Paddle Tennis', 'Racket Sport'),
        (107, 'barre', 'Barre', 'Mind & Body'),
        (108, 'stage-performance', 'Stage Performance', 'Occupational'),
        (109, 'high-stress-work', 'High Stress Work', 'Occupational'),
        (110, 'parkour', 'Parkour', 'Outdoor'),
        (111, 'gaelic-football', 'Gaelic Football', 'Team Sport'),
        (112, 'hurling/camogie', 'Hurling/Camogie', 'Team Sport'),
        (113, 'circus-arts', 'Circus Arts', 'Mind & Body'),
        (121, 'massage-therapy', 'Massage Therapy', 'Recovery'),
        (123, 'strength-trainer', 'Strength Trainer', 'Strength'),
        (125, 'watching-sports', 'Watching Sports', 'Everyday'),
        (126, 'assault-bike', 'Assault Bike', 'Cardio'),
        (127, 'kickboxing', 'Kickboxing', 'Combat'),
        (128, 'stretching', 'Stretching', 'Recovery'),
        (230, 'table-tennis', 'Table Tennis', 'Racket Sport'),
        (231, 'badminton', 'Badminton', 'Racket Sport'),
        (232, 'netball', 'Netball', 'Team Sport'),
        (233, 'sauna', 'Sauna', 'Recovery'),
        (234, 'disc-golf', 'Disc Golf', 'Outdoor'),
        (235, 'yard-work', 'Yard Work', 'Everyday'),
        (236, 'air-compression', 'Air Compression', 'Recovery'),
        (237, 'percussive-massage', 'Percussive Massage', 'Recovery'),
        (238, 'paintball', 'Paintball', 'Outdoor'),
        (239, 'ice-skating', 'Ice Skating', 'Winter'),
        (240, 'handball', 'Handball', 'Team Sport'),
        (248, 'f45-training', 'F45 Training', 'Strength'),
        (249, 'padel', 'Padel', 'Racket Sport'),
        (250, 'barrys', 'Barry''s', 'Cardio'),
        (251, 'dedicated-parenting', 'Dedicated Parenting', 'Everyday'),
        (252, 'stroller-walking', 'Stroller Walking', 'Everyday'),
        (253, 'stroller-jogging', 'Stroller Jogging', 'Cardio'),
        (254, 'toddlerwear', 'Toddlerwear', 'Everyday'),
        (255, 'babywearing', 'Babywearing', 'Everyday'),
        (258, 'barre3', 'Barre3', 'Mind & Body'),
        (259, 'hot-yoga', 'Hot Yoga', 'Mind & Body'),
        (261, 'stadium-steps', 'Stadium Steps', 'Cardio'),
        (262, 'polo', 'Polo', 'Team Sport'),
        (263, 'musical-performance', 'Musical Performance', 'Occupational'),
        (264, 'kite-boarding', 'Kite Boarding', 'Water'),
        (266, 'dog-walking', 'Dog Walking', 'Everyday'),
        (267, 'water-skiing', 'Water Skiing', 'Water'),
        (268, 'wakeboarding', 'Wakeboarding', 'Water'),
        (269, 'cooking', 'Cooking', 'Everyday'),
        (270, 'cleaning', 'Cleaning', 'Everyday'),
        (272, 'public-speaking', 'Public Speaking', 'Occupational')
    AS v (SPORT_ID, SPORT_NAME, ACTIVITY_NAME, ACTIVITY_CATEGORY)
) AS src
ON tgt.SPORT_NAME = src.SPORT_NAME
WHEN MATCHED THEN UPDATE SET
    SPORT_ID = src.SPORT_ID, ACTIVITY_NAME = src.ACTIVITY_NAME, ACTIVITY_CATEGORY = src.ACTIVITY_CATEGORY
WHEN NOT MATCHED THEN INSERT (SPORT_ID, SPORT_NAME, ACTIVITY_NAME, ACTIVITY_CATEGORY)
    VALUES (src.SPORT_ID, src.SPORT_NAME, src.ACTIVITY_NAME, src.ACTIVITY_CATEGORY);

-- The four sleep stages WHOOP reports; keys are hashes of the stage name like every surrogate key in Gold.
CREATE TABLE IF NOT EXISTS GOLD.DIM_SLEEP_STAGE (
    SLEEP_STAGE_KEY VARCHAR NOT NULL COMMENT 'MD5 of ''sleep_stage|'' || stage name',
    SLEEP_STAGE_NAME VARCHAR NOT NULL COMMENT 'Light, Deep, REM or Awake',
    SLEEP_STAGE_DESCRIPTION VARCHAR NOT NULL COMMENT 'What the stage is and which WHOOP field it comes from'
) COMMENT = 'Sleep stages (dimension of GOLD.FACT_SLEEP_STAGE)';

MERGE INTO GOLD.DIM_SLEEP_STAGE AS tgt
USING (
    SELECT MD5('sleep_stage|' || SLEEP_STAGE_NAME) AS SLEEP_STAGE_KEY, SLEEP_STAGE_NAME, SLEEP_STAGE_DESCRIPTION
    FROM VALUES
        ('Light', 'Light sleep (stages N1-N2): total_light_sleep_time_milli'),
        ('Deep', 'Slow-wave sleep (stage N3), the most restorative: total_slow_wave_sleep_time_milli'),
        ('REM', 'Rapid-eye-movement sleep, when most dreaming happens: total_rem_sleep_time_milli'),
        ('Awake', 'Time awake in bed between sleep onset and wake-up: total_awake_time_milli')
    AS v (SLEEP_STAGE_NAME, SLEEP_STAGE_DESCRIPTION)
) AS src
ON tgt.SLEEP_STAGE_NAME = src.SLEEP_STAGE_NAME
WHEN MATCHED THEN UPDATE SET SLEEP_STAGE_KEY = src.SLEEP_STAGE_KEY, SLEEP_STAGE_DESCRIPTION = src.SLEEP_STAGE_DESCRIPTION
WHEN NOT MATCHED THEN INSERT (SLEEP_STAGE_KEY, SLEEP_STAGE_NAME, SLEEP_STAGE_DESCRIPTION)
    VALUES (src.SLEEP_STAGE_KEY, src.SLEEP_STAGE_NAME, src.SLEEP_STAGE_DESCRIPTION);
