WITH latest AS (
  SELECT category, status, sla_due_at,
         row_number() OVER (PARTITION BY ticket_id ORDER BY event_time DESC) AS rn
  FROM feedback
)
SELECT category,
       count(*) FILTER (WHERE sla_due_at < now()) AS breached,
       count(*) AS open
FROM latest
WHERE rn = 1 AND status <> 'resolved'
GROUP BY category
ORDER BY open DESC, category
