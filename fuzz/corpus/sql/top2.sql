SELECT region, sum(amount) AS total
FROM orders
GROUP BY region
ORDER BY total DESC, region
LIMIT 2
