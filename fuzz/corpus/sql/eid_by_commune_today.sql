SELECT e.commune_code, c.commune_name, c.lat, c.lon, count(*) AS activations
FROM eid_activations e
JOIN communes c ON c.commune_code = e.commune_code
WHERE e.event_time >= date_trunc('day', now()) AND e.level = 2
GROUP BY e.commune_code, c.commune_name, c.lat, c.lon
ORDER BY activations DESC, e.commune_code
