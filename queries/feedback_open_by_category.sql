-- title: Phản ánh đang mở theo lĩnh vực — Open feedback by category
-- every: 2s
-- key: category
-- view: ranking
-- Each ticket's latest status over the last 24 hours (the in-memory window; older tickets are in the
-- history); open tickets per category, and those past their SLA.
WITH latest AS (
  SELECT category, status, sla_due_at,
         row_number() OVER (PARTITION BY ticket_id ORDER BY event_time DESC) AS rn
  FROM feedback
  WHERE event_time >= now() - INTERVAL '24 hours'
)
SELECT category,
       count(*) FILTER (WHERE sla_due_at < now()) AS breached,
       count(*) AS open
FROM latest
WHERE rn = 1 AND status <> 'resolved'
GROUP BY category
ORDER BY open DESC, category
