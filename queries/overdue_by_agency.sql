-- title: Hồ sơ quá hạn theo cơ quan — Overdue dossiers by agency
-- every: 2s
-- key: agency_code
-- view: ranking
-- alert: overdue >= 20 AS warning
-- Dossiers received within retention, past their due time, and not completed: a ranking of agencies.
SELECT d.agency_code, a.agency_name, count(*) AS overdue
FROM dossiers d
JOIN agencies a ON a.agency_code = d.agency_code
WHERE d.status = 'received'
  AND d.event_time >= now() - INTERVAL '24 hours'
  AND d.due_at < now()
  AND d.dossier_id NOT IN (SELECT dossier_id FROM dossiers
                            WHERE status = 'completed' AND event_time >= now() - INTERVAL '24 hours')
GROUP BY d.agency_code, a.agency_name
ORDER BY overdue DESC, d.agency_code
