SELECT sector, count(*) AS payments,
       round(100.0 * count(*) FILTER (WHERE method <> 'cash') / count(*), 1) AS cashless_pct
FROM payments
WHERE event_time >= date_trunc('day', now())
GROUP BY sector
ORDER BY cashless_pct DESC, sector
