SELECT region, count(*) AS n
FROM orders
WHERE event_time >= now() - INTERVAL '10 minutes'
GROUP BY region
