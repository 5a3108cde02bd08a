SELECT d.commune_code, c.commune_name,
  count(*) FILTER (WHERE d.status = 'received') AS received,
  count(*) FILTER (WHERE d.status = 'completed') AS completed,
  round(100.0 * count(*) FILTER (WHERE d.status = 'completed' AND d.event_time <= d.due_at)
        / nullif(count(*) FILTER (WHERE d.status = 'completed'), 0), 1) AS on_time_pct
FROM dossiers d
JOIN communes c ON c.commune_code = d.commune_code
WHERE d.event_time >= date_trunc('day', now())
GROUP BY d.commune_code, c.commune_name
ORDER BY received DESC, d.commune_code
