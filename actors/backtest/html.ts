import { signalTable } from './signalTable';
import type { BacktestReport, SeriesPoint, StrategyBlock } from './reportTypes';

/**
 * The self-contained HTML report: inline CSS and SVG charts, no script, no network. A pure function
 * of the report, so the same run gives the same bytes.
 */

const W = 960;
const H = 260;
const PAD = { l: 70, r: 20, t: 20, b: 30 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (n: number, dp = 2) => (Number.isFinite(n) ? n.toFixed(dp) : '-');
const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)} %`);
const iso = (ts: number) => new Date(ts).toISOString().replace('T', ' ').replace('.000Z', 'Z');

interface Scale {
  x(ts: number): number;
  y(v: number): number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

function scale(xs: number[], ys: number[]): Scale {
  let x0 = Math.min(...xs);
  let x1 = Math.max(...xs);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) {
    y0 -= 1;
    y1 += 1;
  }
  const padY = (y1 - y0) * 0.05;
  // No padding below zero when nothing is negative (a drawdown axis starting at -0.2 reads as a gain).
  y0 = y0 >= 0 ? Math.max(0, y0 - padY) : y0 - padY;
  y1 += padY;
  return {
    x: (ts) => PAD.l + ((ts - x0) / (x1 - x0)) * (W - PAD.l - PAD.r),
    y: (v) => H - PAD.b - ((v - y0) / (y1 - y0)) * (H - PAD.t - PAD.b),
    x0,
    x1,
    y0,
    y1,
  };
}

function axes(s: Scale, dp: number): string {
  const ticks = [0, 0.5, 1].map((f) => s.y0 + f * (s.y1 - s.y0));
  const yLabels = ticks.map((v) => `<text x="${PAD.l - 6}" y="${fmt(s.y(v), 1)}" text-anchor="end" class="axis">${fmt(v, dp)}</text>`).join('');
  const grid = ticks.map((v) => `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${fmt(s.y(v), 1)}" y2="${fmt(s.y(v), 1)}" class="grid"/>`).join('');
  const xLabels = [s.x0, s.x1].map((t, i) => `<text x="${fmt(s.x(t), 1)}" y="${H - 8}" text-anchor="${i === 0 ? 'start' : 'end'}" class="axis">${iso(t)}</text>`).join('');
  return grid + yLabels + xLabels;
}

function path(points: SeriesPoint[], s: Scale): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(s.x(p.ts), 1)},${fmt(s.y(p.value), 1)}`).join('');
}

function lineChart(id: string, title: string, series: SeriesPoint[], dp: number, cls = 'line'): string {
  if (series.length === 0) return `<section><h3>${esc(title)}</h3><p class="empty" id="${id}">no data</p></section>`;
  const s = scale(
    series.map((p) => p.ts),
    series.map((p) => p.value),
  );
  return `<section><h3>${esc(title)}</h3><svg id="${id}" class="chart" data-points="${series.length}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">${axes(s, dp)}<path class="${cls}" d="${path(series, s)}"/></svg></section>`;
}

function priceChart(r: BacktestReport, symbol: string, series: SeriesPoint[]): string {
  const marks = r.charts.marks.filter((m) => m.symbol === symbol);
  const signals = r.charts.signals.filter((m) => m.symbol === symbol);
  const s = scale(
    series.map((p) => p.ts),
    [...series.map((p) => p.value), ...marks.map((m) => m.price), ...signals.map((m) => m.price)],
  );
  // Unconfirmed markers first, so the confirmed ones are drawn on top where they overlap.
  const sig = [...signals.filter((m) => !m.confirmed), ...signals.filter((m) => m.confirmed)]
    .map((m) => {
      const x = s.x(m.ts);
      const y = s.y(m.price);
      const d = m.direction === 'bullish' ? `M${fmt(x, 1)},${fmt(y - 6, 1)}l5,9h-10z` : `M${fmt(x, 1)},${fmt(y + 6, 1)}l5,-9h-10z`;
      return `<path class="signal ${m.direction} ${m.confirmed ? 'confirmed' : 'unconfirmed'}" d="${d}"><title>${m.confirmed ? 'confirmed' : 'unconfirmed'} ${m.direction} signal ${iso(m.ts)}</title></path>`;
    })
    .join('');
  const mk = marks
    .map((m) => `<circle class="mark ${m.side === 'BUY' ? 'entry' : 'exit'}" cx="${fmt(s.x(m.ts), 1)}" cy="${fmt(s.y(m.price), 1)}" r="5"><title>${m.strategy} ${m.side} ${iso(m.ts)}</title></circle>`)
    .join('');
  return (
    `<section><h3>${esc(symbol)} price, entries/exits and signals</h3>` +
    `<svg id="price-${esc(symbol)}" class="chart" data-points="${series.length}" data-marks="${marks.length}" data-signals="${signals.length}" viewBox="0 0 ${W} ${H}" role="img">` +
    `${axes(s, 2)}<path class="line" d="${path(series, s)}"/>${sig}${mk}</svg>` +
    `<p class="legend"><span class="k entry"></span> entry <span class="k exit"></span> exit <span class="k bull"></span> confirmed bullish (&#9650;) <span class="k bear"></span> confirmed bearish (&#9660;) <span class="k hollow"></span> unconfirmed signal (outline)</p></section>`
  );
}

function row(name: string, b: StrategyBlock): string {
  const rej = Object.entries(b.rejections)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  return (
    `<tr><th>${esc(name)}</th><td>${b.trades}</td><td>${b.roundTrips}</td><td>${pct(b.winRate)}</td><td>${b.grossPnl}</td><td>${b.fees}</td>` +
    `<td class="${Number(b.netPnl) < 0 ? 'neg' : 'pos'}">${b.netPnl}</td><td>${b.maxDrawdown}</td><td>${b.maxExposure}</td><td>${b.orders}</td><td>${esc(rej) || '-'}</td><td>${b.errors}</td></tr>`
  );
}

function horizonTable(r: BacktestReport): string {
  const t = signalTable(r.signalQuality);
  const head = t.header.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = t.rows.map((row) => `<tr><th>${esc(row[0])}</th>${row.slice(1).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
  return (
    `<section><h3>False signals at 10 s, 30 s, 60 s and the 15-minute window's end</h3>` +
    `<p>An episode is a run of same-direction signals of one symbol, each within ${r.signalQuality.episodeGapMs / 1000} s of the previous one, judged from its first signal.</p>` +
    `<table id="signal-horizons"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></section>`
  );
}

function haltList(r: BacktestReport): string {
  if (r.halts.length === 0) return `<section><h3>Trading halts</h3><p id="halts">Trading never halted.</p></section>`;
  const items = r.halts.map((h) => `<li>${iso(h.ts)}: <b>${esc(h.reason)}</b> (first refused: ${esc(h.strategy)}; ${h.ordersRefused} orders refused): ${esc(h.detail)}</li>`).join('');
  return `<section><h3>Trading halts</h3><ul id="halts">${items}</ul></section>`;
}

function signalQualityTable(r: BacktestReport): string {
  const s = r.total.signals;
  const line = (label: string, q: typeof s.confirmed) => `<tr><th>${label}</th><td>${q.count}</td><td>${q.falseSignals}</td><td>${pct(q.falseSignalRate)}</td><td>${q.unevaluated}</td></tr>`;
  return (
    `<section><h3>Signal quality (adverse move within ${s.horizonMs / 1000} s)</h3><table id="signal-quality"><thead><tr><th></th><th>signals</th><th>false</th><th>false-signal rate</th><th>not evaluated</th></tr></thead><tbody>` +
    line('with 2x volume confirmation', s.confirmed) +
    line('without (unconfirmed)', s.unconfirmed) +
    `</tbody></table></section>`
  );
}

export function renderReportHtml(r: BacktestReport): string {
  const strategies = Object.entries(r.strategies)
    .map(([name, b]) => row(name, b))
    .join('');
  const prices = Object.entries(r.charts.prices)
    .map(([symbol, series]) => priceChart(r, symbol, series))
    .join('');
  const trades = r.tradeList
    .slice(0, 500)
    .map((t) => `<tr><td>${t.seq}</td><td>${iso(t.ts)}</td><td>${esc(t.strategy)}</td><td>${t.side}</td><td>${esc(t.tokenId)}</td><td>${t.price}</td><td>${t.size}</td><td>${t.fee}</td></tr>`)
    .join('');
  const inputs = r.inputs.map((i) => `<li><code>${esc(i.file)}</code> sha256 <code>${i.sha256}</code> (${i.bytes} bytes)</li>`).join('');
  const simulated = r.simulated.markets.length
    ? `<p class="warn" id="simulated">Simulated markets (no recorded Polymarket quotes): ${r.simulated.markets.map(esc).join(', ')}. ${esc(r.simulated.note)}</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>polymarket-actors backtest</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;max-width:1000px}
h1{font-size:22px}h3{margin:18px 0 6px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #dde2ea;padding:4px 6px;text-align:right}th:first-child{text-align:left}
.chart{width:100%;height:auto;background:#fafbfd;border:1px solid #e3e7ee}
.line{fill:none;stroke:#2458c6;stroke-width:1.5}.dd{fill:none;stroke:#c0392b;stroke-width:1.5}
.grid{stroke:#e3e7ee}.axis{font-size:11px;fill:#6a7385}
.mark.entry{fill:#1e9e5a}.mark.exit{fill:#d35400}
.signal.confirmed.bullish{fill:#1e9e5a}.signal.confirmed.bearish{fill:#c0392b}.signal.unconfirmed{fill:none;stroke:#8a94a6;stroke-opacity:.6}
.neg{color:#c0392b}.pos{color:#1e7a48}.warn{background:#fff6e0;border:1px solid #f0c36d;padding:8px}
.k{display:inline-block;width:10px;height:10px;border-radius:5px;margin-left:10px}.k.entry{background:#1e9e5a}.k.exit{background:#d35400}.k.bull{background:#1e9e5a;border-radius:0}.k.bear{background:#c0392b;border-radius:0}.k.hollow{border:1px solid #8a94a6;border-radius:0}
</style></head><body>
<h1>Backtest report</h1>
<p>${r.range.firstEventTs !== null ? `${iso(r.range.firstEventTs)} to ${iso(r.range.lastEventTs ?? r.range.firstEventTs)}` : 'no events'}: ${r.events.inputs} input events (${r.events.trades} trades), ${r.events.derived} derived.
Starting capital ${r.total.startingCapital}, ending equity ${r.total.endingEquity}. LLM: ${r.llm.requests} requests, ${r.llm.cacheHits} cache hits (${pct(r.llm.hitRate)}).</p>
${simulated}
${marketsSection(r)}
<section><h3>Results</h3><table id="results"><thead><tr><th>strategy</th><th>fills</th><th>round trips</th><th>win rate</th><th>gross P&amp;L</th><th>fees</th><th>net P&amp;L</th><th>max drawdown</th><th>max exposure</th><th>orders</th><th>rejections</th><th>errors</th></tr></thead>
<tbody>${strategies}${row('total', r.total)}</tbody></table></section>
${lineChart('equity', 'Equity (USDC)', r.charts.equity, 2)}
${lineChart('drawdown', 'Drawdown (USDC below the running peak)', r.charts.drawdown, 2, 'dd')}
${prices}
${signalQualityTable(r)}
${horizonTable(r)}
${haltList(r)}
<section><h3>Trades (first 500)</h3><table id="trades"><thead><tr><th>seq</th><th>time</th><th>strategy</th><th>side</th><th>token</th><th>price</th><th>size</th><th>fee</th></tr></thead><tbody>${trades}</tbody></table></section>
<section><h3>Inputs</h3><ul>${inputs}</ul></section>
</body></html>
`;
}

/** Per market where its prices came from, and the oracle-derived resolutions against the recorded ones. */
function marketsSection(r: BacktestReport): string {
  const recorded = r.markets.filter((m) => m.prices !== 'simulated');
  if (recorded.length === 0 && !r.resolutions) return '';
  const rows = recorded.map((m) => `<tr><td>${esc(m.slug)}</td><td>${esc(m.prices)}</td><td>${m.derivedIds ? 'derived' : 'venue'}</td><td>${m.books}</td><td>${m.trades}</td></tr>`).join('');
  const res = r.resolutions;
  const rate = res && res.agreementRate !== null ? `${(res.agreementRate * 100).toFixed(1)} %` : '-';
  const resolutions = res
    ? `<p id="resolutions">Resolutions: agreement rate ${rate} (${res.agree} of ${res.judged} judged agree, ${res.disagree} disagree; by strike ${res.judgedByStrike}, by window open ${res.judgedByOpen}; not judged ${res.unjudgeable.length}: ${res.unjudgeable.map((u) => `${esc(u.slug)} (${esc(u.reason)})`).join(', ')}). ${esc(res.rule)}.</p>`
    : '';
  return `<section id="markets"><h2>Markets</h2><table><tr><th>market</th><th>prices</th><th>token ids</th><th>books</th><th>trades</th></tr>${rows}</table>${resolutions}</section>`;
}
