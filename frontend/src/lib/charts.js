// ECharts, imported piece by piece: only the charts and components the wall draws.
import * as echarts from 'echarts/core';
import { LineChart, ScatterChart, EffectScatterChart, MapChart } from 'echarts/charts';
import { GeoComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { LabelLayout } from 'echarts/features';
import { CanvasRenderer } from 'echarts/renderers';

// LabelLayout makes `labelLayout: {hideOverlap: true}` work (without it the option is silently ignored).
echarts.use([LineChart, ScatterChart, EffectScatterChart, MapChart, GeoComponent, GridComponent, LegendComponent, TooltipComponent, LabelLayout, CanvasRenderer]);

export { echarts };

export const PALETTE = ['#38bdf8', '#34d399', '#fbbf24', '#f472b6', '#a78bfa', '#fb923c'];
