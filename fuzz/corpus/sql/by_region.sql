SELECT o.region, r.region_name, count(*) AS n, sum(o.amount) AS total
FROM orders o JOIN regions r ON r.region = o.region
GROUP BY o.region, r.region_name
