import type { SeriesPoint } from '../backtest/reportTypes';
import { rankRows } from './rank';
import type { SweepOutcome } from './sweep';

/**
 * sweep.html: one self-contained page (inline CSS, SVG and a small script, no network): the
 * walk-forward folds (in-sample beside out-of-sample), a heatmap of the metric over two chosen
 * parameters, the best runs' equity curves and a sortable table of every run. A pure function of
 * the results, so the same sweep gives the same bytes.
 */

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const iso = (ts: number | null) => (ts === null ? '-' : new Date(ts).toISOString().replace('T', ' ').replace('.000Z', 'Z'));
const BEST_CURVES = 5;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd'];
const SHOWN_FIGURES = ['total.netPnl', 'sharpe', 'total.maxDrawdown', 'total.winRate', 'total.roundTrips', 'total.fees', 'total.endingEquity'];

function equitySvg(curves: { label: string; points: SeriesPoint[] }[]): string {
  const all = curves.flatMap((c) => c.points);
  if (all.length === 0) return '<p>No equity points.</p>';
  const [W, H, P] = [960, 260, 60];
  const xs = all.map((p) => p.ts);
  const ys = all.map((p) => p.value);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs) || 1, Math.min(...ys), Math.max(...ys)];
  const sx = (t: number) => P + ((t - x0) / (x1 - x0 || 1)) * (W - P - 10);
  const sy = (v: number) => H - 25 - ((v - y0) / (y1 - y0 || 1)) * (H - 45);
  const lines = curves.map((c, i) => `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5" points="${c.points.map((p) => `${sx(p.ts).toFixed(1)},${sy(p.value).toFixed(1)}`).join(' ')}"><title>${esc(c.label)}</title></polyline>`);
  const legend = curves.map((c, i) => `<span style="color:${COLORS[i % COLORS.length]}">&#9632; ${esc(c.label)}</span>`).join(' ');
  return `<svg id="equity" viewBox="0 0 ${W} ${H}" width="100%"><text x="4" y="${sy(y1) + 4}">${y1.toFixed(2)}</text><text x="4" y="${sy(y0) + 4}">${y0.toFixed(2)}</text>${lines.join('')}</svg><p class="legend">${legend}</p>`;
}

const SCRIPT = `
const data = JSON.parse(document.getElementById('sweep-data').textContent);
const runs = data.runs;
const cell = (v) => v === null || v === undefined ? '-' : String(v);
// Sortable table: click a header; numbers (and decimal strings) sort as numbers.
document.querySelectorAll('#runs th').forEach((th, col) => th.addEventListener('click', () => {
  const body = document.querySelector('#runs tbody');
  const dir = th.dataset.dir === 'asc' ? 'desc' : 'asc';
  document.querySelectorAll('#runs th').forEach((h) => delete h.dataset.dir);
  th.dataset.dir = dir;
  const rows = [...body.rows];
  const key = (r) => { const t = r.cells[col].textContent; const n = Number(t); return t !== '-' && t !== '' && !Number.isNaN(n) ? n : t; };
  rows.sort((a, b) => { const x = key(a), y = key(b); const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y)); return dir === 'asc' ? c : -c; });
  for (const r of rows) body.appendChild(r);
}));
// Heatmap: the best metric value over the runs at each pair of values of the two chosen parameters.
const lower = data.metric === 'maxDrawdown';
function heatmap() {
  const px = document.getElementById('hx').value, py = document.getElementById('hy').value;
  const vals = (k) => k ? data.parameters.find((p) => p.key === k).values : [null];
  const xs = vals(px), ys = vals(py);
  const best = new Map();
  for (const r of runs) {
    if (r.phase === 'test' || r.error) continue;
    const v = r.figures[data.metricKey]; if (v === null || v === undefined) continue;
    const k = JSON.stringify([px ? r.parameters[px] : null, py ? r.parameters[py] : null]);
    const n = Number(v); const old = best.get(k);
    if (old === undefined || (lower ? n < old : n > old)) best.set(k, n);
  }
  const all = [...best.values()]; const lo = Math.min(...all), hi = Math.max(...all);
  const color = (n) => { const t = hi === lo ? 0.5 : (n - lo) / (hi - lo); const g = lower ? 1 - t : t; return 'hsl(' + Math.round(g * 120) + ',60%,75%)'; };
  let html = '<tr><th>' + (py || '') + ' \\\\ ' + px + '</th>' + xs.map((x) => '<th>' + cell(x) + '</th>').join('') + '</tr>';
  for (const y of ys) {
    html += '<tr><th>' + cell(y) + '</th>' + xs.map((x) => { const n = best.get(JSON.stringify([x, y])); return n === undefined ? '<td>-</td>' : '<td style="background:' + color(n) + '">' + n + '</td>'; }).join('') + '</tr>';
  }
  document.getElementById('heatmap').innerHTML = html;
}
document.getElementById('hx').addEventListener('change', heatmap);
document.getElementById('hy').addEventListener('change', heatmap);
heatmap();
`;

export function renderSweepHtml({ results, equity }: SweepOutcome): string {
  const params = results.parameters.map((p) => p.key);
  const ranked = rankRows(results.runs.filter((r) => r.phase !== 'test' && r.error === null), results.metric);
  const best = ranked.slice(0, BEST_CURVES);
  const curves = best.map((r) => ({ label: `run ${r.run}: ${params.map((k) => `${k}=${r.parameters[k]}`).join(', ')}${r.fold === null ? '' : ` (fold ${r.fold} train)`}`, points: equity.get(r.hash) ?? [] }));
  const options = (selected: string | null, none: boolean) =>
    (none ? `<option value=""${selected === null ? ' selected' : ''}>(none)</option>` : '') + params.map((k) => `<option value="${esc(k)}"${k === selected ? ' selected' : ''}>${esc(k)}</option>`).join('');
  const folds = results.walkForward
    ? `<h2>Walk-forward ${esc(results.walkForward.spec)}: in-sample beside out-of-sample</h2><table id="folds"><thead><tr><th>fold</th><th>train window</th><th>test window</th><th>best parameters (train)</th><th>in-sample ${esc(results.metric)}</th><th>out-of-sample ${esc(results.metric)}</th><th>gap</th></tr></thead><tbody>${results.walkForward.folds
        .map((f) => `<tr><td>${f.fold}</td><td>${iso(f.train.from)} to ${iso(f.train.to)}</td><td>${iso(f.test.from)} to ${iso(f.test.to)}</td><td>${esc(params.map((k) => `${k}=${f.parameters[k]}`).join(', '))}</td><td>${f.inSample ?? '-'}</td><td>${f.outOfSample ?? '-'}</td><td>${f.gap ?? '-'}</td></tr>`)
        .join('')}</tbody></table>`
    : '';
  const head = ['run', 'phase', 'fold', ...params, ...SHOWN_FIGURES, 'error'];
  const body = results.runs
    .map((r) => `<tr>${[r.run, r.phase, r.fold, ...params.map((k) => r.parameters[k]), ...SHOWN_FIGURES.map((k) => r.figures[k]), r.error].map((v) => `<td>${esc(v === null || v === undefined ? '-' : String(v))}</td>`).join('')}</tr>`)
    .join('\n');
  const json = JSON.stringify({ metric: results.metric, metricKey: results.metricKey, parameters: results.parameters, runs: results.runs.map((r) => ({ run: r.run, phase: r.phase, parameters: r.parameters, figures: { [results.metricKey]: r.figures[results.metricKey] ?? null }, error: r.error })) }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sweep: ${results.runs.length} runs ranked by ${esc(results.metric)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;max-width:1200px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4;cursor:pointer}.legend span{margin-right:16px}</style></head>
<body>
<h1>Sweep: ${results.runs.length} runs ranked by ${esc(results.metric)}</h1>
<p>Inputs: ${results.inputs.map((i) => `${esc(i.name)} (sha256 ${i.sha256.slice(0, 12)}…)`).join(', ')}. Range: ${iso(results.range.from)} to ${iso(results.range.to)}.</p>
${folds}
<h2>Heatmap of the best ${esc(results.metric)}</h2>
<p>x <select id="hx">${options(params[0], false)}</select> y <select id="hy">${options(params[1] ?? null, true)}</select></p>
<table id="heatmap"></table>
<h2>Equity of the best ${best.length} runs</h2>
${equitySvg(curves)}
<h2>Every run (click a header to sort)</h2>
<table id="runs"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${body}
</tbody></table>
<script type="application/json" id="sweep-data">${json}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
