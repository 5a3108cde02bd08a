SELECT
  count(*) AS total,
  round(100.0 * count(*) FILTER (WHERE method <> 'cash') / nullif(count(*), 0), 1) AS cashless_pct,
  round(100.0 * sum(amount_vnd) FILTER (WHERE method <> 'cash') / nullif(sum(amount_vnd), 0), 1) AS cashless_value_pct,
  sum(amount_vnd) AS amount_vnd
FROM payments
WHERE event_time >= date_trunc('day', now())
