-- title: Tỷ lệ không dùng tiền mặt theo lĩnh vực — Cashless share by sector today
-- every: 2s
-- key: sector
-- view: ranking
SELECT sector, count(*) AS payments,
       round(100.0 * count(*) FILTER (WHERE method <> 'cash') / count(*), 1) AS cashless_pct
FROM payments
WHERE event_time >= date_trunc('day', now())
GROUP BY sector
ORDER BY cashless_pct DESC, sector
