-- title: Giải quyết đúng hạn theo cơ quan quý này — On time by agency this quarter
-- key: agency_code
-- every: 5s
-- view: ranking
-- Dossiers completed this quarter (local) per agency and the share completed by their due time, the
-- least punctual first.
SELECT d.agency_code, a.agency_name, count(*) AS completed,
  round(100.0 * count(*) FILTER (WHERE d.event_time <= d.due_at) / count(*), 1) AS on_time_pct
FROM dossiers d
JOIN agencies a ON a.agency_code = d.agency_code
WHERE d.status = 'completed' AND d.event_time >= date_trunc('quarter', now())
GROUP BY d.agency_code, a.agency_name
ORDER BY on_time_pct, d.agency_code
