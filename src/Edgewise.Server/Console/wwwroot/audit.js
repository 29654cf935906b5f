import { getJson } from './api.js';
import { h, field, table, time } from './dom.js';

/** The hash the server stores for a row: SHA-256 over length-prefixed fields, null as "-;" (SqliteAuditLog). */
export async function rowHash(row) {
  const fields = [row.prev_hash, String(row.seq), row.ts, row.session_id, row.agent, row.kind, row.detail, row.tool, row.call_id, row.args_hash];
  let text = '';
  for (const f of fields) text += f === null || f === undefined ? '-;' : `${f.length}:${f};`;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('');
}

/** Checks each row's own hash and its link to the row before; returns one problem (or null) per row. */
export async function verifyChain(rows, genesis) {
  const problems = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const before = rows[i - 1];
    let problem = null;
    if (before && row.seq !== before.seq + 1) problem = `sequence jumps from ${before.seq} to ${row.seq}`;
    else if (before && row.prev_hash !== before.hash) problem = 'previous hash does not match the row before';
    else if (!before && row.seq === 1 && row.prev_hash !== genesis) problem = 'first row does not start from the genesis hash';
    else if (!row.redacted && await rowHash(row) !== row.hash) problem = 'row content does not match its hash';
    problems.push(problem);
  }
  return problems;
}

export async function render(view) {
  const limit = h('select', { id: 'audit-limit' }, [100, 200, 500, 1000].map(n => h('option', { value: n, selected: n === 200 }, String(n))));
  const summary = h('div', { id: 'audit-summary', role: 'status' });
  const body = h('div', { id: 'audit-table' });
  const refresh = h('button', { type: 'button' }, 'Reload');
  view.append(h('h1', {}, 'Audit log'),
    h('p', { class: 'muted' }, 'The append-only, hash-chained record of agent runs. This page recomputes every row\'s SHA-256 and checks each link to the row before.'),
    h('div', { class: 'row' }, field('Newest rows', limit), refresh), summary, body);

  async function load() {
    const log = await getJson(`/admin/audit?limit=${limit.value}`);
    const rows = log.data;
    summary.replaceChildren();
    if (!globalThis.crypto?.subtle) {
      summary.append(h('p', { class: 'error' }, 'This browser cannot compute SHA-256 here (it needs https or localhost); only the server\'s own check is shown.'));
    }
    const problems = globalThis.crypto?.subtle ? await verifyChain(rows, log.genesis_hash) : rows.map(() => null);
    const broken = problems.findIndex(p => p !== null);
    const redacted = rows.filter(r => r.redacted).length;
    summary.append(
      h('p', { class: broken >= 0 ? 'bad' : 'good', id: 'audit-page-check' }, broken >= 0
        ? `Chain broken at row ${rows[broken].seq}: ${problems[broken]}.`
        : `Chain verified in this page: ${rows.length} of ${log.total} rows${rows.length && rows[0].seq > 1 ? `, from row ${rows[0].seq}` : ''}${redacted ? ` (${redacted} rows of other keys' sessions checked by link only)` : ''}.`),
      h('p', { class: log.verification.valid ? 'muted' : 'bad', id: 'audit-server-check' }, log.verification.valid
        ? `The server verified all ${log.verification.rows_checked} rows; head hash ${log.verification.head_hash.slice(0, 16)}…`
        : `The server found the chain broken at row ${log.verification.first_broken_seq}.`));
    body.replaceChildren(table(['Row', 'Time', 'Session', 'Agent', 'Event', 'Detail', 'Tool', 'Chain'],
      rows.map((r, i) => h('tr', { class: problems[i] ? 'broken' : '', 'data-seq': r.seq },
        h('td', {}, String(r.seq)), h('td', {}, r.redacted ? '–' : time(r.ts)),
        h('td', {}, r.redacted ? 'another key' : h('code', {}, (r.session_id ?? '').slice(0, 12))),
        h('td', {}, r.agent ?? ''), h('td', {}, r.kind ?? ''), h('td', {}, r.detail ?? ''), h('td', {}, r.tool ?? ''),
        h('td', {}, problems[i] ? h('strong', { class: 'bad' }, `broken: ${problems[i]}`) : (r.redacted ? 'linked' : 'ok')))),
      'Audit rows, oldest first'));
  }
  limit.addEventListener('change', load);
  refresh.addEventListener('click', load);
  await load();
}
