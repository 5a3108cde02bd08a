SELECT d.agency_code, a.agency_name, count(*) AS overdue
FROM dossiers d
JOIN agencies a ON a.agency_code = d.agency_code
WHERE d.status = 'received'
  AND d.due_at < now()
  AND d.dossier_id NOT IN (SELECT dossier_id FROM dossiers WHERE status = 'completed')
GROUP BY d.agency_code, a.agency_name
ORDER BY overdue DESC, d.agency_code
