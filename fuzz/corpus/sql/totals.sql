SELECT count(*) AS n, coalesce(sum(amount), 0) AS total,
       count(*) FILTER (WHERE paid) AS paid
FROM orders
