// Choosing a dashboard, and the automatic one used when the server has none.
import { loadDashboards } from './api.js';

/** A dashboard built from the scenarios' `view` hints (used when queries/dashboards/ has nothing). */
export function autoDashboard(scenarios) {
  const panels = [];
  for (const s of scenarios.values()) {
    const type = ['kpi', 'ranking', 'timeseries', 'table'].includes(s.view) ? s.view : 'table';
    panels.push({ type, scenario: s.name });
  }
  const pages = [];
  for (let i = 0; i < panels.length; i += 4) {
    const chunk = panels.slice(i, i + 4).map((p, k) => ({ ...p, area: [1 + (k % 2) * 6, 1 + Math.floor(k / 2) * 3, 6, 3] }));
    pages.push({ title: `Kịch bản ${pages.length + 1}`, title_en: `Scenarios ${pages.length + 1}`, panels: chunk });
  }
  if (!pages.length) pages.push({ title: 'Cảnh báo', title_en: 'Alerts', panels: [{ type: 'alerts', area: [1, 1, 12, 6] }] });
  return { name: 'auto', title: 'Trung tâm điều hành', title_en: 'Operations centre', rotate_seconds: 30, pages };
}

/** The dashboard named `want` (or `fallbackName`, or the first), else the automatic one. */
export async function chooseDashboard(want, fallbackName, scenarios) {
  const list = await loadDashboards();
  if (list && list.length) {
    const d = list.find((x) => x.name === want) || list.find((x) => x.name === fallbackName) || list[0];
    return { dashboard: d, list };
  }
  return { dashboard: autoDashboard(scenarios), list: list || [] };
}
