-- title: Tỷ lệ trực tuyến theo tháng — Online rate by month
-- key: month
-- every: 10s
-- view: timeseries
-- The last twelve local months (the current one still filling): full-process online, digitised and
-- electronic-result shares. `month` is the local month's first day at 00:00 (UTC+7 shifted to UTC).
SELECT date_trunc('month', event_time + INTERVAL '7 hours') AS month,
  round(100.0 * count(*) FILTER (WHERE status = 'received' AND full_online)
        / nullif(count(*) FILTER (WHERE status = 'received'), 0), 1) AS full_online_pct,
  round(100.0 * count(*) FILTER (WHERE status = 'received' AND digitised)
        / nullif(count(*) FILTER (WHERE status = 'received'), 0), 1) AS digitised_pct,
  round(100.0 * count(*) FILTER (WHERE status = 'completed' AND e_result)
        / nullif(count(*) FILTER (WHERE status = 'completed'), 0), 1) AS e_result_pct
FROM dossiers
WHERE event_time >= date_trunc('month', now()) - INTERVAL '11 months'
GROUP BY date_trunc('month', event_time + INTERVAL '7 hours')
ORDER BY month
