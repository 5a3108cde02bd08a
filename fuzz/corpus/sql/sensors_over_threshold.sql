SELECT s.sensor_id, s.kind, c.commune_name, max(s.value) AS peak, t.threshold, t.unit,
       max(s.event_time) AS last_seen
FROM sensors s
JOIN sensor_thresholds t ON t.kind = s.kind
LEFT JOIN communes c ON c.commune_code = s.commune_code
WHERE s.event_time >= now() - INTERVAL '10 minutes' AND s.value > t.threshold
GROUP BY s.sensor_id, s.kind, c.commune_name, t.threshold, t.unit
ORDER BY peak / t.threshold DESC, s.sensor_id
