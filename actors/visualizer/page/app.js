// The visualizer page: draws the statecharts the server laid out, follows live actors over the
// websocket and steps through a recorded log with the HTTP API. Plain browser JavaScript, no
// dependencies, nothing loaded from outside this server.
'use strict';

const SVG_NS = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);

const state = {
  charts: [],
  live: new Map(), // session id -> live actor view
  log: null, // log info
  cursor: 0, // seq of the event the log view stands on
  logStates: [], // every log actor's state at the cursor
  selected: null, // { origin: 'live' | 'log', id }
  lastChange: null, // { machine, from, to } of the selected log actor
};

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

async function getJson(path) {
  const res = await fetch(path);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || `${path}: HTTP ${res.status}`);
  return body;
}

function wrapWords(words, max) {
  const lines = [];
  let line = '';
  for (const w of words) {
    const next = line ? `${line} · ${w}` : w;
    if (line && next.length > max) {
      lines.push(line);
      line = w;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

// ------------------------------------------------------------------ charts

function drawChart(chart) {
  const { layout } = chart;
  const root = chart.states[0];
  const s = svg('svg', { width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, 'data-machine': chart.name });
  s.append(svg('defs', {}));
  s.firstChild.innerHTML = `<marker id="arrow-${chart.name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#94a3b8"/></marker>`;
  // States, parents first so children draw on top.
  for (const st of chart.states) {
    if (st.key === root.key) continue;
    const b = layout.boxes[st.key];
    const g = svg('g', { class: `state ${st.type}`, 'data-machine': chart.name, 'data-state': st.key });
    g.append(svg('title', {}, `${st.key}${st.description ? ` — ${st.description}` : ''}`));
    g.append(svg('rect', { class: 'box', x: b.x, y: b.y, width: b.w, height: b.h, rx: 8 }));
    if (st.children.length > 0) {
      g.append(svg('text', { class: 'name', x: b.x + 10, y: b.y + 16 }, st.name));
    } else {
      g.append(svg('text', { class: 'name', x: b.x + b.w / 2, y: b.y + 22, 'text-anchor': 'middle' }, st.name));
      wrapWords(layout.internal[st.key] || [], 30).forEach((line, i) => {
        g.append(svg('text', { class: 'internal', x: b.x + b.w / 2, y: b.y + 36 + i * 12, 'text-anchor': 'middle' }, line));
      });
    }
    g.append(svg('text', { class: 'badge', x: b.x + b.w - 6, y: b.y + 12, 'text-anchor': 'end' }, ''));
    s.append(g);
  }
  // Initial-state markers.
  for (const st of chart.states) {
    if (!st.initial) continue;
    const b = layout.boxes[st.initial];
    const y = b.y + Math.min(b.h / 2, 19);
    s.append(svg('circle', { class: 'initial', cx: b.x - 30, cy: y, r: 5 }));
    s.append(svg('path', { class: 'edge', d: `M${b.x - 25},${y} L${b.x},${y}`, 'marker-end': `url(#arrow-${chart.name})` }));
  }
  for (const [key, b] of Object.entries(layout.anyMarkers)) {
    const g = svg('g', { class: 'any', 'data-any': key });
    g.append(svg('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 10 }));
    g.append(svg('text', { x: b.x + b.w / 2, y: b.y + 14, 'text-anchor': 'middle' }, 'any state'));
    s.append(g);
  }
  for (const e of layout.edges) {
    const path = svg('path', { class: `edge ${e.kind}`, d: e.path, 'data-source': e.source, 'data-target': e.target, 'marker-end': `url(#arrow-${chart.name})` });
    const actions = e.transitions.map((i) => chart.transitions[i].actions.join(', ')).filter(Boolean);
    path.append(svg('title', {}, `${e.source || chart.machineId} → ${e.target}\n${e.label.join('\n')}${actions.length ? `\nactions: ${actions.join(' | ')}` : ''}`));
    s.append(path);
  }
  // Labels last, over every edge.
  for (const e of layout.edges) {
    const g = svg('g', { class: 'edge-label', 'data-source': e.source, 'data-target': e.target });
    const w = Math.max(...e.label.map((l) => l.length)) * 6.4 + 8;
    g.append(svg('rect', { x: e.labelX - w / 2, y: e.labelY - 11, width: w, height: e.label.length * 14 + 2, rx: 3 }));
    e.label.forEach((line, i) => g.append(svg('text', { x: e.labelX, y: e.labelY + i * 14, 'text-anchor': 'middle' }, line)));
    s.append(g);
  }
  const anywhere = layout.internal[root.key] || [];
  const fig = el(
    'figure',
    { class: 'chart', 'data-machine': chart.name },
    el('figcaption', { title: 'click: actual size / fit to width', onclick: (ev) => ev.currentTarget.parentElement.classList.toggle('full') }, chart.title, el('span', { class: 'machine-id' }, `#${chart.machineId}`), anywhere.length ? el('span', { class: 'anywhere' }, `handled in every state: ${anywhere.join(' · ')}`) : null),
    s,
  );
  return fig;
}

function drawCharts() {
  const box = $('charts');
  box.replaceChildren(...state.charts.map(drawChart));
}

// ------------------------------------------------------------------ actors and highlighting

function allActors() {
  const out = [];
  for (const a of state.live.values()) out.push({ origin: 'live', id: a.id, label: a.label, machine: a.machine, state: a.state, active: a.active, status: a.status });
  for (const a of state.logStates) out.push({ origin: 'log', id: a.actor, label: a.actor, machine: a.machine, state: a.state, active: activeKeys(a.state), status: 'log' });
  // Every actor of the log is listed from the first screen on, also before its first state change.
  const shown = new Set(state.logStates.map((a) => a.actor));
  for (const a of (state.log && state.log.actors) || []) {
    if (!shown.has(a.actor)) out.push({ origin: 'log', id: a.actor, label: a.actor, machine: a.machine, state: 'not started yet', active: [], status: 'log' });
  }
  return out;
}

/** Mirrors activeKeys() in statechart.ts: `a.b` -> [a, a.b]; `a.x,b.y` -> [a, a.x, b, b.y]. */
function activeKeys(name) {
  const out = [];
  for (const region of name.split(',')) {
    let path = '';
    for (const part of region.split('.')) {
      path = path ? `${path}.${part}` : part;
      if (!out.includes(path)) out.push(path);
    }
  }
  return out;
}

function selectedActor(actors) {
  if (!state.selected) return null;
  return actors.find((a) => a.origin === state.selected.origin && a.id === state.selected.id) || null;
}

function renderActors() {
  const actors = allActors();
  if (!selectedActor(actors) && actors.length > 0) state.selected = { origin: actors[0].origin, id: actors[0].id };
  const sel = selectedActor(actors);
  $('actors-empty').hidden = actors.length > 0;
  $('actors').replaceChildren(
    ...actors.map((a) =>
      el(
        'li',
        {
          class: sel && a.origin === sel.origin && a.id === sel.id ? 'selected' : '',
          dataset: { origin: a.origin, actor: a.id, label: a.label, state: a.state },
          onclick: () => {
            state.selected = { origin: a.origin, id: a.id };
            renderActors();
            if (a.origin === 'log') refreshCause();
          },
        },
        el('span', {}, el('span', { class: 'origin' }, a.origin), ' ', a.label),
        el('span', { class: 'state-name' }, a.state + (a.status !== 'active' && a.status !== 'log' ? ` (${a.status})` : '')),
      ),
    ),
  );
  highlight(actors, sel);
  renderDetail(sel);
}

function highlight(actors, sel) {
  document.querySelectorAll('g.state').forEach((g) => {
    g.classList.remove('active', 'occupied');
    g.querySelector('.badge').textContent = '';
  });
  document.querySelectorAll('.edge.last, .edge-label.last').forEach((e) => e.classList.remove('last'));
  const counts = new Map();
  for (const a of actors) {
    if (!a.machine) continue;
    for (const key of a.active) {
      const id = `${a.machine}|${key}`;
      counts.set(id, (counts.get(id) || 0) + 1);
    }
  }
  for (const [id, n] of counts) {
    const [machine, key] = id.split('|');
    const g = document.querySelector(`g.state[data-machine="${machine}"][data-state="${CSS.escape(key)}"]`);
    if (!g) continue;
    g.classList.add('occupied');
    g.querySelector('.badge').textContent = `×${n}`;
  }
  if (sel && sel.machine) {
    for (const key of sel.active) document.querySelector(`g.state[data-machine="${sel.machine}"][data-state="${CSS.escape(key)}"]`)?.classList.add('active');
    const last = lastMove(sel);
    if (last) {
      const sel2 = `[data-source="${CSS.escape(firstRegion(last.from))}"][data-target="${CSS.escape(firstRegion(last.to))}"]`;
      document.querySelectorAll(`svg[data-machine="${sel.machine}"] ${sel2}`).forEach((e) => e.classList.add('last'));
    }
  }
}

const firstRegion = (name) => name.split(",")[0];

function lastMove(sel) {
  if (sel.origin === 'live') {
    const a = state.live.get(sel.id);
    const moved = a && a.lastEvents.filter((e) => e.moved && e.from);
    return moved && moved.length ? moved[moved.length - 1] : null;
  }
  return state.lastChange && state.lastChange.actor === sel.id ? state.lastChange : null;
}

function renderDetail(sel) {
  $('detail').hidden = !sel;
  if (!sel) return;
  $('selected-title').textContent = sel.label;
  $('selected-state').textContent = `${sel.machine || '(machine not in registry)'} · ${sel.state}`;
  const list = $('last-events');
  if (sel.origin === 'live') {
    const a = state.live.get(sel.id);
    list.replaceChildren(
      ...[...a.lastEvents].reverse().map((e) =>
        el('li', { class: e.moved ? 'moved' : '', title: JSON.stringify(e.event, null, 1) }, `#${e.n} ${e.type}`, e.moved ? ` ${e.from || '∅'} → ${e.to}` : ''),
      ),
    );
  } else {
    list.replaceChildren(el('li', {}, 'see "Why the selected actor is in its state"'));
  }
}

// ------------------------------------------------------------------ live

function connectLive() {
  const ws = new WebSocket(`ws://${location.host}/ws`);
  ws.onopen = () => {
    $('conn').textContent = 'live: connected';
    $('conn').classList.add('up');
  };
  ws.onclose = () => {
    $('conn').textContent = 'live: disconnected (reload to retry)';
    $('conn').classList.remove('up');
  };
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === 'actors') state.live = new Map(msg.actors.map((a) => [a.id, a]));
    else if (msg.type === 'update') for (const a of msg.actors) state.live.set(a.id, a);
    renderActors();
    document.body.dataset.liveUpdates = String(Number(document.body.dataset.liveUpdates || 0) + 1);
  };
}

// ------------------------------------------------------------------ log stepping

const iso = (ts) => new Date(ts).toISOString();

function summary(e) {
  const x = e.event;
  switch (e.type) {
    case 'trade':
      return `${x.symbol} ${x.qty} @ ${x.price}`;
    case 'signal':
      return `${x.symbol} ${x.direction} ${(x.change * 100).toFixed(2)}% ${x.confirmed ? 'confirmed' : 'unconfirmed'} @ ${x.price}`;
    case 'strategy_state':
      return `${x.strategy}/${x.key}: ${x.from} → ${x.to}`;
    case 'order_intent':
      return `${x.strategy} ${x.side} ${x.size} @ ${x.price} (${x.orderId}) ${x.reason}`;
    case 'fill':
      return `${x.orderId} ${x.side} ${x.size} @ ${x.price}${x.partial ? ' partial' : ''}`;
    case 'risk_rejection':
      return `${x.orderId} ${x.reason}: ${x.detail}`;
    case 'market_snapshot': {
      // The server cuts long arrays to a few items and a "… N more" note.
      const list = Array.isArray(x.markets) ? x.markets : [];
      const more = list.map((m) => (typeof m === 'string' ? Number((/(\d+) more/.exec(m) || [])[1] || 0) : 1)).reduce((a, b) => a + b, 0);
      return `${x.source} ${more} markets ${x.request || ''}`;
    }
    case 'decision':
      return `${x.strategy}/${x.key} ${x.action} (${x.source}) ${x.reason}`;
    case 'book':
      return `${x.tokenId} bids ${x.bids?.length ?? 0} asks ${x.asks?.length ?? 0}`;
    case 'timer':
      return x.name;
    default: {
      const { v, seq, ts, type, ...rest } = x;
      return JSON.stringify(rest).slice(0, 90);
    }
  }
}

function eventItem(label, e) {
  if (!e) return el('div', { class: 'item' }, el('span', { class: 'label' }, label), '—');
  return el(
    'div',
    { class: 'item', dataset: { seq: e.seq, type: e.type } },
    el(
      'details',
      {},
      el('summary', {}, el('span', { class: 'label' }, label), el('span', { class: 'jump', onclick: (ev) => (ev.preventDefault(), moveTo(e.seq)) }, `#${e.seq}`), ` ${e.type} `, summary(e)),
      el('pre', {}, JSON.stringify(e.event, null, 2)),
    ),
  );
}

async function moveTo(seq) {
  state.cursor = seq;
  const [before, from, states] = await Promise.all([
    getJson(`/api/log/events?before=${seq}&count=6`),
    getJson(`/api/log/events?from=${seq}&count=10`),
    getJson(`/api/log/states?seq=${seq}`),
  ]);
  state.logStates = states;
  const here = from[0];
  $('cursor').dataset.seq = String(seq);
  $('cursor').textContent = here ? `at seq ${here.seq} of ${state.log.firstSeq}–${state.log.lastSeq} · ${iso(here.ts)} · ${here.type}` : `seq ${seq}: past the end`;
  $('events').replaceChildren(
    ...[...before, ...from].map((e) =>
      el(
        'li',
        { class: `${e.seq === seq ? 'cursor' : ''} ${e.type === 'strategy_state' ? 'state-change' : ''}`, dataset: { seq: e.seq, type: e.type }, onclick: () => moveTo(e.seq) },
        `#${e.seq} `,
        el('span', { class: 'timeline-type' }, e.type),
        ' ',
        summary(e),
      ),
    ),
  );
  if (here && here.type === 'strategy_state') state.selected = { origin: 'log', id: `${here.event.strategy}/${here.event.key}` };
  await refreshCause();
  renderActors();
  document.body.dataset.cursor = String(seq);
}

async function refreshCause() {
  const box = $('cause');
  const sel = state.selected && state.selected.origin === 'log' ? state.logStates.find((a) => a.actor === state.selected.id) : null;
  if (!sel) {
    state.lastChange = null;
    box.replaceChildren(el('p', { class: 'hint' }, 'Select a log actor that has changed state by the cursor.'));
    return;
  }
  const c = await getJson(`/api/log/cause?seq=${sel.since}`);
  state.lastChange = { actor: sel.actor, from: c.change.from, to: c.change.to };
  box.dataset.change = String(c.change.seq);
  box.replaceChildren(
    el('div', { class: 'item' }, el('span', { class: 'label' }, 'change'), el('span', { class: 'jump', onclick: () => moveTo(c.change.seq) }, `#${c.change.seq}`), ` ${iso(c.change.ts)} ${c.change.actor}: ${c.change.from} → ${c.change.to}`),
    el('div', { class: 'item' }, el('span', { class: 'label' }, 'before that'), c.previous ? el('span', { class: 'jump', onclick: () => moveTo(c.previous.seq) }, `#${c.previous.seq} ${c.previous.from} → ${c.previous.to}`) : '—'),
    el('h3', {}, 'trigger'),
    eventItem('input event', c.trigger),
    ...c.between.map((e) => eventItem('emitted', e)),
    ...c.after.map((e) => eventItem('then', e)),
    el('h3', {}, 'context'),
    eventItem('last signal', c.lastSignal),
    eventItem('last snapshot', c.lastSnapshot),
    ...c.recent.map((e) => eventItem('recent', e)),
  );
  box.querySelector('[data-type]')?.setAttribute('data-trigger', '1');
}

async function stepChange(dir) {
  const only = $('only-selected').checked && state.selected && state.selected.origin === 'log' ? `&actor=${encodeURIComponent(state.selected.id)}` : '';
  const { change } = await getJson(`/api/log/step?seq=${state.cursor}&dir=${dir}${only}`);
  if (change) await moveTo(change.seq);
}

async function stepEvent(dir) {
  const list = dir > 0 ? await getJson(`/api/log/events?from=${state.cursor + 1}&count=1`) : await getJson(`/api/log/events?before=${state.cursor}&count=1`);
  if (list.length) await moveTo(list[0].seq);
}

async function seek(query) {
  const { seq } = await getJson(`/api/log/seek?${query}`);
  if (seq !== null) await moveTo(seq);
}

function setupTimeline() {
  $('timeline').hidden = false;
  $('prev-change').onclick = () => stepChange('prev');
  $('next-change').onclick = () => stepChange('next');
  $('prev-event').onclick = () => stepEvent(-1);
  $('next-event').onclick = () => stepEvent(1);
  $('jump-seq-go').onclick = () => seek(`seq=${Number($('jump-seq').value)}`);
  $('jump-time-go').onclick = () => {
    const raw = $('jump-time').value.trim();
    const ts = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
    if (Number.isFinite(ts)) seek(`ts=${ts}`);
  };
}

// ------------------------------------------------------------------ start

async function start() {
  state.charts = await getJson('/api/machines');
  drawCharts();
  state.log = await getJson('/api/log');
  $('mode').textContent = state.log ? `log ${state.log.file}: ${state.log.events} events, ${state.log.changes} state changes` : 'live';
  if (state.log) {
    setupTimeline();
    await moveTo(state.log.firstSeq);
  }
  renderActors();
  connectLive();
  document.body.dataset.ready = '1';
}

start().catch((err) => {
  document.body.dataset.error = String(err.message || err);
  $('charts').prepend(el('p', { class: 'hint' }, `error: ${err.message || err}`));
});
