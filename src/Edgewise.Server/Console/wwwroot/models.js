import { getJson, request, jsonLines } from './api.js';
import { h, bytes, time, table, errorBox } from './dom.js';

let pulling = null;

export async function render(view) {
  const memory = h('div', { id: 'memory' });
  const loaded = h('div', { id: 'loaded' });
  const store = h('div', { id: 'store' });
  const catalog = h('div', { id: 'catalog' });
  const pull = h('div', { id: 'pull', class: 'panel', 'aria-live': 'polite' });
  view.append(h('h1', {}, 'Models'),
    h('section', { class: 'panel', 'aria-label': 'Memory and loaded models' }, h('h2', {}, 'Loaded'), memory, loaded),
    pull,
    h('div', { class: 'split even' },
      h('section', { class: 'panel', 'aria-label': 'Model store' }, h('h2', {}, 'Store'), store),
      h('section', { class: 'panel', 'aria-label': 'Catalog' }, h('h2', {}, 'Catalog'), catalog)));

  async function load() {
    const m = await getJson('/admin/models');
    const used = m.memory.used_bytes;
    const budget = m.memory.budget_bytes;
    const share = budget > 0 ? Math.min(1, used / budget) : 0;
    memory.replaceChildren(
      h('p', { id: 'memory-text' }, `Memory: ${bytes(used)} of ${bytes(budget)} budget (${Math.round(share * 100)}%)`),
      h('div', { class: 'bar', role: 'meter', 'aria-label': 'Model memory against the budget', 'aria-valuemin': 0, 'aria-valuemax': budget, 'aria-valuenow': used },
        h('span', { class: share > 0.9 ? 'fill hot' : 'fill', 'data-share': share.toFixed(3) })));
    memory.querySelector('.fill').style.width = `${(share * 100).toFixed(1)}%`;
    loaded.replaceChildren(m.loaded.length === 0 ? h('p', { class: 'muted', id: 'loaded-empty' }, 'No model is loaded.') :
      table(['Model', 'Memory', 'In use', 'Keep-alive until', ''], m.loaded.map(x => h('tr', { 'data-model': x.name },
        h('td', {}, x.name), h('td', {}, bytes(x.memory_bytes)), h('td', {}, x.leases > 0 ? `${x.leases} requests` : 'idle'),
        h('td', {}, x.pinned ? 'pinned' : x.expires_at ? time(x.expires_at) : 'until stopped'),
        h('td', {}, h('button', { type: 'button', class: 'unload', 'aria-label': `Unload ${x.name}`, onclick: () => unload(x.name) }, 'Unload'))))));
    store.replaceChildren(m.store.length === 0 ? h('p', { class: 'muted' }, 'The store is empty.') :
      table(['Name', 'Size', 'Architecture', 'Context'], m.store.map(x => h('tr', { 'data-store': x.name },
        h('td', {}, x.name), h('td', {}, bytes(x.size)), h('td', {}, x.architecture), h('td', {}, String(x.context_length))))),
      m.served.length ? h('p', { class: 'muted' }, `Served by name: ${m.served.join(', ')}`) : null);
    catalog.replaceChildren(table(['Model', 'Variants', ''], m.catalog.map(c => {
      const select = h('select', { 'aria-label': `Variant of ${c.alias}` }, c.variants.map(v => h('option', { value: v.quant }, `${v.quant} · ${bytes(v.bytes)}${v.in_store ? ' · in store' : ''}`)));
      return h('tr', { 'data-alias': c.alias },
        h('td', {}, h('strong', {}, c.alias), h('br'), h('small', { class: 'muted' }, c.description)),
        h('td', {}, select),
        h('td', {}, h('button', { type: 'button', class: 'pull', 'aria-label': `Pull ${c.alias}`, onclick: () => startPull(`${c.alias}:${select.value}`) }, 'Pull')));
    })));
  }

  async function unload(name) {
    try {
      await request('POST', '/api/generate', { model: name, keep_alive: 0 });
    } catch (error) {
      loaded.append(errorBox(error));
    }
    await load();
  }

  async function startPull(model) {
    if (pulling) return;
    const progress = h('progress', { id: 'pull-progress', max: 1, value: 0, 'aria-label': `Download of ${model}` });
    const status = h('p', { id: 'pull-status', role: 'status' }, 'Starting…');
    pull.replaceChildren(h('h2', {}, `Pull ${model}`), progress, status);
    pulling = new AbortController();
    try {
      const response = await request('POST', '/api/pull', { model, stream: true }, { signal: pulling.signal });
      for await (const line of jsonLines(response)) {
        if (line.error) throw new Error(line.error);
        if (line.total) {
          progress.max = line.total;
          progress.value = line.completed ?? 0;
          status.textContent = `${line.status}: ${bytes(line.completed ?? 0)} of ${bytes(line.total)} (${Math.floor(100 * (line.completed ?? 0) / line.total)}%)`;
        } else {
          status.textContent = line.status;
        }
        if (line.status === 'success') progress.value = progress.max;
      }
    } catch (error) {
      pull.append(errorBox(error));
    } finally {
      pulling = null;
    }
    await load();
  }

  await load();
  const timer = setInterval(() => load().catch(() => {}), 5000);
  return () => clearInterval(timer);
}

