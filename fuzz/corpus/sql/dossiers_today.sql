SELECT
  count(*) FILTER (WHERE status = 'received') AS received,
  count(*) FILTER (WHERE status = 'completed') AS completed,
  round(100.0 * count(*) FILTER (WHERE status = 'completed' AND event_time <= due_at)
        / nullif(count(*) FILTER (WHERE status = 'completed'), 0), 1) AS on_time_pct,
  round(100.0 * count(*) FILTER (WHERE status = 'received' AND full_online)
        / nullif(count(*) FILTER (WHERE status = 'received'), 0), 1) AS full_online_pct,
  round(100.0 * count(*) FILTER (WHERE status = 'received' AND digitised)
        / nullif(count(*) FILTER (WHERE status = 'received'), 0), 1) AS digitised_pct,
  round(100.0 * count(*) FILTER (WHERE status = 'completed' AND e_result)
        / nullif(count(*) FILTER (WHERE status = 'completed'), 0), 1) AS e_result_pct
FROM dossiers
WHERE event_time >= date_trunc('day', now())
