// ECharts, imported piece by piece: only the charts and components the wall draws.
import * as echarts from 'echarts/core';
import { LineChart, ScatterChart, EffectScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([LineChart, ScatterChart, EffectScatterChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export { echarts };

export const PALETTE = ['#38bdf8', '#34d399', '#fbbf24', '#f472b6', '#a78bfa', '#fb923c'];
