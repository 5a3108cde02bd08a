SELECT
  date_trunc('minute', event_time) AS minute,
  count(*) FILTER (WHERE status = 'received') AS received,
  count(*) FILTER (WHERE status = 'completed') AS completed
FROM dossiers
WHERE event_time >= now() - INTERVAL '1 hour'
GROUP BY date_trunc('minute', event_time)
ORDER BY minute
