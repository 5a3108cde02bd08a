WITH latest AS (
  SELECT station_id, operator, commune_code, state, reason, event_time,
         row_number() OVER (PARTITION BY station_id ORDER BY event_time DESC) AS rn
  FROM stations
)
SELECT l.station_id, l.operator, c.commune_name, l.reason, l.event_time AS down_since
FROM latest l
LEFT JOIN communes c ON c.commune_code = l.commune_code
WHERE l.rn = 1 AND l.state = 'down'
ORDER BY down_since
