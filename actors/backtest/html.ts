import { signalTable } from './signalTable';
import type { BacktestReport, Performance, SeriesPoint, StrategyBlock } from './reportTypes';

/**
 * The self-contained HTML report: inline CSS and SVG charts, no script, no network. A pure function
 * of the report, so the same run gives the same bytes.
 */

const W = 960;
const H = 260;
const PAD = { l: 70, r: 20, t: 22, b: 30 };

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

/** About `count` round values covering [lo, hi] (1, 2, 2.5 or 5 times a power of ten apart). */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).reduce((best, st) => (Math.abs(span / st - count) < Math.abs(span / best - count) ? st : best));
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800].map((s) => s * 1000);

/** Round UTC times covering [t0, t1], about `count` of them. */
export function timeTicks(t0: number, t1: number, count = 6): number[] {
  const step = TIME_STEPS.find((st) => (t1 - t0) / st <= count) ?? Math.ceil((t1 - t0) / count / 86_400_000) * 86_400_000;
  const out: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out;
}

function timeLabel(ts: number, span: number): string {
  const iso = new Date(ts).toISOString();
  if (span > 2 * 86_400_000) return iso.slice(0, 10);
  return span > 86_400_000 || new Date(ts).getUTCHours() + new Date(ts).getUTCMinutes() === 0 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, span < 600_000 ? 19 : 16);
}

function axes(s: Scale, dp: number): string {
  const ys = niceTicks(s.y0, s.y1);
  const yLabels = ys.map((v) => `<text x="${PAD.l - 6}" y="${fmt(s.y(v) + 4, 1)}" text-anchor="end" class="axis">${fmt(v, dp)}</text>`).join('');
  const grid = ys.map((v) => `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${fmt(s.y(v), 1)}" y2="${fmt(s.y(v), 1)}" class="grid"/>`).join('');
  const xs = timeTicks(s.x0, s.x1);
  const xGrid = xs.map((t) => `<line x1="${fmt(s.x(t), 1)}" x2="${fmt(s.x(t), 1)}" y1="${PAD.t}" y2="${H - PAD.b}" class="grid"/>`).join('');
  const xLabels = xs.map((t) => `<text x="${fmt(s.x(t), 1)}" y="${H - 10}" text-anchor="middle" class="axis">${timeLabel(t, s.x1 - s.x0)}</text>`).join('');
  const day = `<text x="${W - PAD.r}" y="${PAD.t - 6}" text-anchor="end" class="axis">UTC ${iso(s.x0).slice(0, 10)}${s.x1 - s.x0 > 86_400_000 ? ` to ${iso(s.x1).slice(0, 10)}` : ''}</text>`;
  return grid + xGrid + yLabels + xLabels + day;
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
  const signals = r.charts.signals.filter((m) => m.symbol === symbol);
  const s = scale(
    series.map((p) => p.ts),
    [...series.map((p) => p.value), ...signals.map((m) => m.price)],
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
  return (
    `<section><h3>${esc(symbol)} price (Binance) and signals</h3>` +
    `<svg id="price-${esc(symbol)}" class="chart" data-points="${series.length}" data-signals="${signals.length}" viewBox="0 0 ${W} ${H}" role="img">` +
    `${axes(s, 2)}<path class="line" d="${path(series, s)}"/>${sig}</svg>` +
    `<p class="legend"><span class="k bull"></span> confirmed bullish (&#9650;) <span class="k bear"></span> confirmed bearish (&#9660;) <span class="k hollow"></span> unconfirmed signal (outline)</p></section>`
  );
}

/** The traded Polymarket token's price (book mid) with the strategy's entries and exits at their fill prices. */
function tokenChart(r: BacktestReport, tokenId: string, index: number): string {
  const { label, points } = r.charts.tokens[tokenId];
  const marks = r.charts.marks.filter((m) => m.tokenId === tokenId);
  const s = scale([...points.map((p) => p.ts), ...marks.map((m) => m.ts)], [...points.map((p) => p.value), ...marks.map((m) => m.price)]);
  const mk = marks
    .map((m) => `<circle class="mark ${m.side === 'BUY' ? 'entry' : 'exit'}" cx="${fmt(s.x(m.ts), 1)}" cy="${fmt(s.y(m.price), 1)}" r="5"><title>${esc(m.strategy)} ${m.side} at ${m.price} ${iso(m.ts)}</title></circle>`)
    .join('');
  return (
    `<section><h3>${esc(label)}: token price, entries and exits</h3>` +
    `<svg id="token-${index}" class="chart token" data-token="${esc(tokenId)}" data-points="${points.length}" data-marks="${marks.length}" viewBox="0 0 ${W} ${H}" role="img">` +
    `${axes(s, 3)}<path class="line" d="${path(points, s)}"/>${mk}</svg>` +
    `<p class="legend"><span class="k entry"></span> entry (buy) <span class="k exit"></span> exit (sell) at the fill price; line: the token's book mid</p></section>`
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

function modelMae(r: BacktestReport): string {
  const rows = Object.entries(r.model_mae).map(([slug, e]) => `<li><code>${esc(slug)}</code>: model_mae ${e.mae === null ? 'n/a' : e.mae.toFixed(4)} over ${e.samples} recorded Up prices</li>`);
  return rows.length ? `<section><h3>Market model against recorded markets</h3><ul id="model-mae">${rows.join('')}</ul></section>` : '';
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

const HALTS: Record<string, string> = {
  kill_switch: 'kill switch',
  daily_drawdown_halt: 'daily drawdown limit',
  consecutive_losses_halt: 'consecutive-loss limit',
};

/** A banner above everything when the risk checks halted trading: a reader must not miss it. */
function haltBanner(r: BacktestReport): string {
  const halts = Object.entries(r.total.rejections).filter(([reason]) => reason in HALTS);
  if (halts.length === 0) return '';
  const what = halts.map(([reason, n]) => `${HALTS[reason]} (${n} order${n === 1 ? '' : 's'} refused)`).join('; ');
  return `<div class="halt" id="halt" role="alert"><strong>Trading was halted by the risk checks:</strong> ${esc(what)}. Results after the halt do not show what the strategies would have done.</div>`;
}

const ratio = (x: number | null, dp = 2) => (x === null ? '-' : fmt(x, dp));
const money = (x: string | null) => (x === null ? '-' : fmt(Number(x), 2));

function headline(r: BacktestReport): string {
  const p = r.performance.total;
  const cells: [string, string][] = [
    ['return', `${fmt(p.returnPct, 2)} %`],
    ['net P&L', r.total.netPnl],
    ['max drawdown', r.total.maxDrawdown],
    ['round trips', String(r.total.roundTrips)],
    ['win rate', pct(r.total.winRate)],
    ['profit factor', ratio(p.profitFactor)],
    ['expectancy / trip', money(p.expectancy)],
    ['Sharpe (daily)', p.sharpeDaily === null ? `- (${p.days} day${p.days === 1 ? '' : 's'})` : fmt(p.sharpeDaily)],
    ['Sortino (daily)', p.sortinoDaily === null ? '-' : fmt(p.sortinoDaily)],
  ];
  return `<section><dl class="kpi" id="headline">${cells.map(([k, v]) => `<div><dt>${k}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl></section>`;
}

function performanceTable(r: BacktestReport): string {
  const line = (name: string, p: Performance) =>
    `<tr><th>${esc(name)}</th><td>${fmt(p.returnPct, 2)} %</td><td>${ratio(p.profitFactor)}</td><td>${money(p.expectancy)}</td><td>${money(p.avgWin)}</td><td>${money(p.avgLoss)}</td><td>${p.longestWinStreak}</td><td>${p.longestLossStreak}</td></tr>`;
  const rows = Object.entries(r.performance.strategies).map(([n, p]) => line(n, p)).join('') + line('total', r.performance.total);
  return (
    `<section><h3>Performance</h3><table id="performance"><thead><tr><th>strategy</th><th>return (of the capital)</th><th>profit factor</th><th>expectancy</th><th>avg win</th><th>avg loss</th><th>longest win streak</th><th>longest loss streak</th></tr></thead><tbody>${rows}</tbody></table>` +
    `<p class="note">Sharpe and Sortino: mean daily return over its (downside) deviation, times &radic;365, from the equity at the end of each UTC day; shown from five days of data on.</p></section>`
  );
}

function holding(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const MAX_ROWS = 1000;

function roundTripTable(r: BacktestReport): string {
  const rows = r.roundTripList
    .slice(0, MAX_ROWS)
    .map(
      (t) =>
        `<tr><td>${esc(t.strategy)}</td><td class="l">${esc(t.market)}</td><td class="l">${esc(t.outcome)}</td><td>${iso(t.entryTs)}</td><td>${iso(t.exitTs)}</td><td>${holding(t.holdingMs)}</td>` +
        `<td>${t.entryPrice}</td><td>${t.exitPrice}</td><td>${t.shares}</td><td class="l">${esc(t.exitReason)}</td><td class="${Number(t.pnl) < 0 ? 'neg' : 'pos'}">${t.pnl}</td></tr>`,
    )
    .join('');
  const more = r.roundTripList.length > MAX_ROWS ? `<p class="note">First ${MAX_ROWS} of ${r.roundTripList.length}; all are in report.json.</p>` : '';
  return (
    `<section><h3>Round trips (${r.roundTripList.length})</h3><table id="round-trips"><thead><tr><th>strategy</th><th class="l">market</th><th class="l">outcome</th><th>entry</th><th>exit</th><th>held</th><th>entry price</th><th>exit price</th><th>shares</th><th class="l">exit reason</th><th>P&amp;L</th></tr></thead>` +
    `<tbody>${rows}</tbody></table>${more}</section>`
  );
}

function perMarketTable(r: BacktestReport): string {
  if (r.perMarket.length === 0) return `<section><h3>Results per market</h3><p class="empty">no round trips</p></section>`;
  const rows = r.perMarket
    .map((m) => `<tr><th class="l">${esc(m.market)}</th><td class="l">${esc(m.strategies.join(', '))}</td><td>${m.roundTrips}</td><td>${m.wins}</td><td>${m.losses}</td><td class="${Number(m.netPnl) < 0 ? 'neg' : 'pos'}">${m.netPnl}</td></tr>`)
    .join('');
  return `<section><h3>Results per market</h3><table id="per-market"><thead><tr><th class="l">market</th><th class="l">strategies</th><th>round trips</th><th>wins</th><th>losses</th><th>net P&amp;L</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** The parameters the run used: the strategy, risk and backtest sections of the config, flattened. */
function parameters(r: BacktestReport): string {
  const config = r.config as Record<string, unknown>;
  const rows: string[] = [];
  const walk = (prefix: string, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x);
    else rows.push(`<tr><th class="l">${esc(prefix)}</th><td class="l"><code>${esc(JSON.stringify(v))}</code></td></tr>`);
  };
  for (const section of ['flashCrash', 'fifteenMin', 'negRisk', 'risk', 'signals', 'backtest']) if (section in config) walk(section, config[section]);
  return `<section><details id="parameters"><summary>Parameters used (${rows.length})</summary><table class="params"><tbody>${rows.join('')}</tbody></table></details></section>`;
}

export function renderReportHtml(r: BacktestReport): string {
  const strategies = Object.entries(r.strategies)
    .map(([name, b]) => row(name, b))
    .join('');
  const prices = Object.entries(r.charts.prices)
    .map(([symbol, series]) => priceChart(r, symbol, series))
    .join('');
  const tokens = Object.keys(r.charts.tokens)
    .map((tokenId, i) => tokenChart(r, tokenId, i))
    .join('');
  const trades = r.tradeList
    .slice(0, 500)
    .map((t) => `<tr><td>${t.seq}</td><td>${iso(t.ts)}</td><td>${esc(t.strategy)}</td><td>${t.side}</td><td class="l">${esc(t.tokenId.length > 20 ? `${t.tokenId.slice(0, 8)}…${t.tokenId.slice(-6)}` : t.tokenId)}</td><td>${t.price}</td><td>${t.size}</td><td>${t.fee}</td></tr>`)
    .join('');
  const inputs = r.inputs.map((i) => `<li><code>${esc(i.file)}</code> sha256 <code>${i.sha256}</code> (${i.bytes} bytes)</li>`).join('');
  const simulated = r.simulated.markets.length
    ? `<p class="warn" id="simulated">Simulated markets (no recorded Polymarket quotes): ${r.simulated.markets.map(esc).join(', ')}. ${esc(r.simulated.note)}</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>polymarket-actors backtest</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;max-width:1100px}
h1{font-size:22px}h3{margin:18px 0 6px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #dde2ea;padding:4px 6px;text-align:right;white-space:nowrap}th:first-child{text-align:left}.l{text-align:left}
#round-trips,#trades{font-size:12px}
.chart{width:100%;height:auto;background:#fafbfd;border:1px solid #e3e7ee}
.line{fill:none;stroke:#2458c6;stroke-width:1.5}.dd{fill:none;stroke:#c0392b;stroke-width:1.5}
.grid{stroke:#e3e7ee}.axis{font-size:11px;fill:#6a7385}
.mark.entry{fill:#1e9e5a;stroke:#fff}.mark.exit{fill:#d35400;stroke:#fff}
.signal.confirmed.bullish{fill:#1e9e5a}.signal.confirmed.bearish{fill:#c0392b}.signal.unconfirmed{fill:none;stroke:#8a94a6;stroke-opacity:.6}
.neg{color:#c0392b}.pos{color:#1e7a48}.warn{background:#fff6e0;border:1px solid #f0c36d;padding:8px}.note{color:#6a7385;font-size:12px}
.halt{background:#fdecea;border:2px solid #c0392b;color:#7b1d12;padding:12px 14px;font-size:16px;margin:12px 0}
.kpi{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;margin:0}.kpi div{background:#f3f6fb;border:1px solid #e3e7ee;padding:8px}.kpi dt{font-size:12px;color:#6a7385}.kpi dd{margin:0;font-size:18px;font-weight:600}
.k{display:inline-block;width:10px;height:10px;border-radius:5px;margin-left:10px}.k.entry{background:#1e9e5a}.k.exit{background:#d35400}.k.bull{background:#1e9e5a;border-radius:0}.k.bear{background:#c0392b;border-radius:0}.k.hollow{border:1px solid #8a94a6;border-radius:0}
.params td,.params th{text-align:left}
</style></head><body>
<h1>Backtest report</h1>
${haltBanner(r)}
<p>${r.range.firstEventTs !== null ? `${iso(r.range.firstEventTs)} to ${iso(r.range.lastEventTs ?? r.range.firstEventTs)}` : 'no events'}: ${r.events.inputs} input events (${r.events.trades} trades), ${r.events.derived} derived.
Starting capital ${r.total.startingCapital}, ending equity ${r.total.endingEquity}. LLM: ${r.llm.requests} requests, ${r.llm.cacheHits} cache hits (${pct(r.llm.hitRate)}).</p>
${headline(r)}
${simulated}
${modelMae(r)}
${marketsSection(r)}
<section><h3>Results</h3><table id="results"><thead><tr><th>strategy</th><th>fills</th><th>round trips</th><th>win rate</th><th>gross P&amp;L</th><th>fees</th><th>net P&amp;L</th><th>max drawdown</th><th>max exposure</th><th>orders</th><th>rejections</th><th>errors</th></tr></thead>
<tbody>${strategies}${row('total', r.total)}</tbody></table></section>
${performanceTable(r)}
${lineChart('equity', 'Equity (USDC)', r.charts.equity, 2)}
${lineChart('drawdown', 'Drawdown (USDC below the running peak)', r.charts.drawdown, 2, 'dd')}
${roundTripTable(r)}
${perMarketTable(r)}
${tokens}
${prices}
${signalQualityTable(r)}
${horizonTable(r)}
${haltList(r)}
${parameters(r)}
<section><h3>Fills (first 500)</h3><table id="trades"><thead><tr><th>seq</th><th>time</th><th>strategy</th><th>side</th><th class="l">token</th><th>price</th><th>size</th><th>fee</th></tr></thead><tbody>${trades}</tbody></table></section>
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
