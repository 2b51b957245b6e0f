/**
 * Hand-written SVG line charts for the benchmark results (no dependency): one line per series over
 * categorical x values. Written to bench/results/<date>-<name>.svg and copied to
 * bench/charts/<name>.svg, which bench/README.md shows.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface Series {
  label: string;
  /** One value per x label; NaN leaves a gap. */
  values: number[];
}

export interface Chart {
  title: string;
  xTitle: string;
  yTitle: string;
  xLabels: string[];
  series: Series[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const WIDTH = 640;
const HEIGHT = 380;
const MARGIN = { left: 70, right: 190, top: 40, bottom: 55 };

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round upper bound for the y axis and its tick step. */
function axis(max: number): { top: number; step: number } {
  const raw = max > 0 ? max / 5 : 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  return { top: Math.ceil(max / step) * step || step, step };
}

/** The chart as an SVG document. */
export function renderChart(chart: Chart): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const values = chart.series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const { top, step } = axis(Math.max(0, ...values));
  const x = (i: number): number =>
    MARGIN.left + (chart.xLabels.length > 1 ? (i / (chart.xLabels.length - 1)) * plotW : plotW / 2);
  const y = (v: number): number => MARGIN.top + plotH - (v / top) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="14" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  for (let v = 0; v <= top + step / 2; v += step) {
    const label = Number(v.toPrecision(6)).toString();
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${y(v) + 4}" text-anchor="end">${label}</text>`,
    );
  }
  chart.xLabels.forEach((label, i) => {
    parts.push(
      `<line x1="${x(i)}" x2="${x(i)}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 5}" stroke="#333"/>`,
      `<text x="${x(i)}" y="${MARGIN.top + plotH + 20}" text-anchor="middle">${escape(label)}</text>`,
    );
  });
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escape(chart.xTitle)}</text>`,
    `<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(chart.yTitle)}</text>`,
  );
  chart.series.forEach((series, index) => {
    const color = COLORS[index % COLORS.length] ?? '#000';
    const points = series.values
      .map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null))
      .filter((p): p is string => p !== null);
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>`,
      ...points.map((p) => {
        const [cx, cy] = p.split(',');
        return `<circle cx="${cx}" cy="${cy}" r="3.5" fill="${color}"/>`;
      }),
      `<line x1="${WIDTH - MARGIN.right + 15}" x2="${WIDTH - MARGIN.right + 35}" y1="${MARGIN.top + 10 + index * 20}" y2="${MARGIN.top + 10 + index * 20}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${WIDTH - MARGIN.right + 40}" y="${MARGIN.top + 14 + index * 20}">${escape(series.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Writes bench/results/<date>-<name>.svg and copies it to bench/charts/<name>.svg. */
export async function writeChart(name: string, chart: Chart): Promise<string> {
  const date = new Date().toISOString().slice(0, 10);
  const bench = path.join(__dirname, '..');
  const result = path.join(bench, 'results', `${date}-${name}.svg`);
  const latest = path.join(bench, 'charts', `${name}.svg`);
  await mkdir(path.dirname(result), { recursive: true });
  await mkdir(path.dirname(latest), { recursive: true });
  await writeFile(result, renderChart(chart));
  await copyFile(result, latest);
  return latest;
}
