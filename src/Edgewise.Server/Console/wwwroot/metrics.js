import { getJson, getText } from './api.js';
import { h, number, bytes } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const HOUR = 60 * 60 * 1000;
const INTERVAL = 2000;
// Gauge samples live as long as the tab: each is one poll of /metrics, /admin/stats and /admin/alerts.
const samples = [];
// Request statistics per minute of the last hour, from /admin/stats/series.
let history = [];

function s(tag, attributes, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes ?? {})) element.setAttribute(k, String(v));
  for (const c of children) element.append(c);
  return element;
}

/** A line chart of one or more series of {at, ...} points over the last span milliseconds, scaled to its own maximum. */
export function chart(title, data, series, format, span) {
  const width = 560, height = 160, left = 56, bottom = 22, top = 10, right = 10;
  const now = Date.now();
  const values = series.flatMap(x => data.map(p => x.value(p)).filter(v => v !== null && v !== undefined && Number.isFinite(v)));
  const max = Math.max(1e-9, ...values) * 1.1;
  const x = t => left + (width - left - right) * (1 - (now - t) / span);
  const y = v => top + (height - top - bottom) * (1 - v / max);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title, class: 'chart' });
  svg.append(s('title', {}, title));
  svg.append(s('line', { x1: left, y1: y(0), x2: width - right, y2: y(0), class: 'axis' }));
  svg.append(s('line', { x1: left, y1: top, x2: left, y2: y(0), class: 'axis' }));
  svg.append(s('text', { x: left - 4, y: top + 8, 'text-anchor': 'end', class: 'label' }, format(max / 1.1)));
  svg.append(s('text', { x: left - 4, y: y(0), 'text-anchor': 'end', class: 'label' }, format(0)));
  svg.append(s('text', { x: left, y: height - 4, class: 'label' }, `−${Math.round(span / 60000)} min`));
  svg.append(s('text', { x: width - right, y: height - 4, 'text-anchor': 'end', class: 'label' }, 'now'));
  series.forEach((serie, i) => {
    const points = data.filter(p => Number.isFinite(serie.value(p))).map(p => `${x(p.at).toFixed(1)},${y(serie.value(p)).toFixed(1)}`);
    svg.append(s('polyline', { points: points.join(' '), class: `line line-${i}` }));
    for (const p of data.length <= 90 ? data : []) {
      if (Number.isFinite(serie.value(p))) svg.append(s('circle', { cx: x(p.at).toFixed(1), cy: y(serie.value(p)).toFixed(1), r: 2, class: `dot line-${i}` }));
    }
  });
  const legend = h('ul', { class: 'legend' }, series.map((serie, i) => {
    const last = data.length ? serie.value(data[data.length - 1]) : null;
    return h('li', { class: `key-${i}` }, `${serie.name}: `, h('strong', { 'data-series': serie.id }, last === null || last === undefined ? '–' : format(last)));
  }));
  return h('figure', { class: 'panel chart-box' }, h('figcaption', {}, title), svg, legend);
}

function sum(text, name) {
  let total = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/);
    if (match && match[1] === name) total = (total ?? 0) + Number(match[3]);
  }
  return total;
}

async function poll() {
  const [hour, metrics, alerts, series] = await Promise.all([
    getJson('/admin/stats?minutes=60'), getText('/metrics'), getJson('/admin/alerts'), getJson('/admin/stats/series?minutes=60&step=60')]);
  history = series.buckets.map(b => ({
    at: new Date(b.to).getTime(),
    tokensPerSecond: b.tokens_per_second, throughput: b.throughput_tokens_per_second,
    requests: b.requests, errors: b.errors,
    ttftP50: b.time_to_first_token?.p50, ttftP95: b.time_to_first_token?.p95,
    latencyP50: b.latency?.p50, latencyP95: b.latency?.p95,
  }));
  samples.push({
    at: Date.now(),
    queueDepth: sum(metrics, 'edgewise_queue_depth') ?? 0,
    memoryUsed: sum(metrics, 'edgewise_model_memory_used_bytes') ?? 0,
    memoryBudget: sum(metrics, 'edgewise_model_memory_budget_bytes') ?? 0,
    hour, alerts,
  });
  while (samples.length && samples[0].at < Date.now() - HOUR) samples.shift();
}

export async function render(view) {
  const summary = h('div', { id: 'metrics-summary', class: 'tiles' });
  const charts = h('div', { id: 'metrics-charts', class: 'charts' });
  const alerts = h('section', { id: 'metrics-alerts', class: 'panel', 'aria-label': 'Alerts' });
  view.append(h('h1', {}, 'Live metrics'),
    h('p', { class: 'muted' }, `Polled every ${INTERVAL / 1000} s: request charts per minute of the last hour from /admin/stats/series; queue depth and memory from /metrics, sampled while this tab is open.`),
    summary, alerts, charts);

  function draw() {
    const last = samples[samples.length - 1];
    if (!last) return;
    const hour = last.hour;
    const tile = (label, id, value) => h('div', { class: 'tile' }, h('span', { class: 'muted' }, label), h('strong', { id }, value));
    const seconds = v => v === null || v === undefined ? '–' : `${(v * 1000).toFixed(0)} ms`;
    summary.replaceChildren(
      tile('Requests, last hour', 'metric-requests', String(hour.requests)),
      tile('Errors, last hour', 'metric-errors', String(hour.errors)),
      tile('Tokens/s (per request), last hour', 'metric-tps', number(hour.tokens_per_second)),
      tile('Output tokens, last hour', 'metric-output-tokens', String(hour.output_tokens)),
      tile('TTFT p50 / p95', 'metric-ttft', `${seconds(hour.time_to_first_token?.p50)} / ${seconds(hour.time_to_first_token?.p95)}`),
      tile('Latency p50 / p95', 'metric-latency', `${seconds(hour.latency?.p50)} / ${seconds(hour.latency?.p95)}`),
      tile('Queue depth now', 'metric-queue', String(last.queueDepth)),
      tile('Model memory', 'metric-memory', `${bytes(last.memoryUsed)} / ${bytes(last.memoryBudget)}`));
    const firing = (last.alerts.rules ?? []).filter(r => r.firing);
    alerts.replaceChildren(h('h2', {}, 'Alerts'), !last.alerts.enabled ? h('p', { class: 'muted' }, 'Alerting is off.') :
      firing.length === 0 ? h('p', { class: 'good', id: 'alerts-none' }, `No alert is firing (${(last.alerts.rules ?? []).length} rules).`) :
        h('ul', { class: 'list' }, firing.map(r => h('li', { class: 'bad' }, h('strong', {}, r.name), `: ${r.metric} = ${number(r.value, 3)} (threshold ${r.threshold}) since ${new Date(r.since).toLocaleTimeString()} → ${r.action}`))));
    const ms = v => `${(v * 1000).toFixed(0)} ms`;
    const live = Math.min(HOUR, Math.max(2 * 60 * 1000, Date.now() - samples[0].at));
    charts.replaceChildren(
      chart('Tokens per second, per minute', history, [{ id: 'tps', name: 'per request', value: p => p.tokensPerSecond }, { id: 'throughput', name: 'server throughput', value: p => p.throughput }], v => number(v), HOUR),
      chart('Requests per minute', history, [{ id: 'rpm', name: 'requests', value: p => p.requests }, { id: 'epm', name: 'errors', value: p => p.errors }], v => number(v, 0), HOUR),
      chart('Time to first token, per minute', history, [{ id: 'ttft50', name: 'p50', value: p => p.ttftP50 }, { id: 'ttft95', name: 'p95', value: p => p.ttftP95 }], ms, HOUR),
      chart('Latency, per minute', history, [{ id: 'lat50', name: 'p50', value: p => p.latencyP50 }, { id: 'lat95', name: 'p95', value: p => p.latencyP95 }], ms, HOUR),
      chart('Queue depth (sampled while open)', samples, [{ id: 'queue', name: 'waiting', value: p => p.queueDepth }], v => number(v, 0), live),
      chart('Model memory (sampled while open)', samples, [{ id: 'mem', name: 'used', value: p => p.memoryUsed }, { id: 'budget', name: 'budget', value: p => p.memoryBudget }], v => bytes(v), live));
  }

  await poll();
  draw();
  let stopped = false;
  const timer = setInterval(async () => {
    try { await poll(); if (!stopped) draw(); } catch { /* next poll */ }
  }, INTERVAL);
  return () => { stopped = true; clearInterval(timer); };
}
