-- title: Năm nay theo xã/phường so với mục tiêu — This year by commune/ward against the targets
-- key: commune_code
-- every: 5s
-- view: kpi
-- Year to date (the local year): the shares of the national service index, each beside its target for
-- the year (reference table kpi_targets) and the change of this month's share against last month's, in
-- points. Months are local: Vietnam keeps UTC+7 all year, so a month's first instant is
-- date_trunc('month', event_time + INTERVAL '7 hours') - INTERVAL '7 hours'. The monthly counts are
-- partial aggregates over the history's day files, computed once (docs/protocol.md, "History").
WITH m AS (
  SELECT commune_code, date_trunc('month', event_time + INTERVAL '7 hours') - INTERVAL '7 hours' AS month,
    count(*) FILTER (WHERE status = 'received') AS received,
    count(*) FILTER (WHERE status = 'received' AND full_online) AS full_online,
    count(*) FILTER (WHERE status = 'received' AND digitised) AS digitised,
    count(*) FILTER (WHERE status = 'completed') AS completed,
    count(*) FILTER (WHERE status = 'completed' AND e_result) AS e_result,
    count(*) FILTER (WHERE status = 'completed' AND event_time <= due_at) AS on_time
  FROM dossiers
  WHERE event_time >= date_trunc('year', now()) - INTERVAL '1 month'
  GROUP BY commune_code, date_trunc('month', event_time + INTERVAL '7 hours') - INTERVAL '7 hours'
), y AS (
  SELECT commune_code,
    coalesce(sum(received) FILTER (WHERE month >= date_trunc('year', now())), 0) AS received_y,
    coalesce(sum(full_online) FILTER (WHERE month >= date_trunc('year', now())), 0) AS full_online_y,
    coalesce(sum(digitised) FILTER (WHERE month >= date_trunc('year', now())), 0) AS digitised_y,
    coalesce(sum(completed) FILTER (WHERE month >= date_trunc('year', now())), 0) AS completed_y,
    coalesce(sum(e_result) FILTER (WHERE month >= date_trunc('year', now())), 0) AS e_result_y,
    coalesce(sum(on_time) FILTER (WHERE month >= date_trunc('year', now())), 0) AS on_time_y,
    coalesce(sum(received) FILTER (WHERE month >= date_trunc('month', now())), 0) AS received_m,
    coalesce(sum(full_online) FILTER (WHERE month >= date_trunc('month', now())), 0) AS full_online_m,
    coalesce(sum(digitised) FILTER (WHERE month >= date_trunc('month', now())), 0) AS digitised_m,
    coalesce(sum(completed) FILTER (WHERE month >= date_trunc('month', now())), 0) AS completed_m,
    coalesce(sum(e_result) FILTER (WHERE month >= date_trunc('month', now())), 0) AS e_result_m,
    coalesce(sum(on_time) FILTER (WHERE month >= date_trunc('month', now())), 0) AS on_time_m,
    coalesce(sum(received) FILTER (WHERE month >= date_trunc('month', now()) - INTERVAL '1 month' AND month < date_trunc('month', now())), 0) AS received_l,
    coalesce(sum(full_online) FILTER (WHERE month >= date_trunc('month', now()) - INTERVAL '1 month' AND month < date_trunc('month', now())), 0) AS full_online_l,
    coalesce(sum(digitised) FILTER (WHERE month >= date_trunc('month', now()) - INTERVAL '1 month' AND month < date_trunc('month', now())), 0) AS digitised_l,
    coalesce(sum(completed) FILTER (WHERE month >= date_trunc('month', now()) - INTERVAL '1 month' AND month < date_trunc('month', now())), 0) AS completed_l,
    coalesce(sum(e_result) FILTER (WHERE month >= date_trunc('month', now()) - INTERVAL '1 month' AND month < date_trunc('month', now())), 0) AS e_result_l,
    coalesce(sum(on_time) FILTER (WHERE month >= date_trunc('month', now()) - INTERVAL '1 month' AND month < date_trunc('month', now())), 0) AS on_time_l
  FROM m GROUP BY commune_code
)
SELECT
  y.commune_code,
  received_y AS received,
  round(100.0 * full_online_y / nullif(received_y, 0), 1) AS full_online_pct,
  t.full_online_pct AS full_online_target,
  round(100.0 * full_online_m / nullif(received_m, 0) - 100.0 * full_online_l / nullif(received_l, 0), 1) AS full_online_change,
  round(100.0 * digitised_y / nullif(received_y, 0), 1) AS digitised_pct,
  t.digitised_pct AS digitised_target,
  round(100.0 * digitised_m / nullif(received_m, 0) - 100.0 * digitised_l / nullif(received_l, 0), 1) AS digitised_change,
  round(100.0 * e_result_y / nullif(completed_y, 0), 1) AS e_result_pct,
  t.e_result_pct AS e_result_target,
  round(100.0 * e_result_m / nullif(completed_m, 0) - 100.0 * e_result_l / nullif(completed_l, 0), 1) AS e_result_change,
  round(100.0 * on_time_y / nullif(completed_y, 0), 1) AS on_time_pct,
  t.on_time_pct AS on_time_target,
  round(100.0 * on_time_m / nullif(completed_m, 0) - 100.0 * on_time_l / nullif(completed_l, 0), 1) AS on_time_change
FROM y CROSS JOIN kpi_targets t
ORDER BY y.commune_code
