import { getJson, deleteJson } from './api.js';
import { h, field, time, errorBox } from './dom.js';
import { bubble, toolCall, toolResult, approvalCard } from './chat.js';

export async function render(view, params) {
  const search = h('input', { id: 'session-search', type: 'search', placeholder: 'id or agent' });
  const list = h('ul', { id: 'session-list', class: 'list' });
  const detail = h('section', { id: 'session-detail', class: 'panel', 'aria-label': 'Session', tabindex: '-1' }, h('p', { class: 'muted' }, 'Open a session to see its messages.'));
  view.append(h('h1', {}, 'Sessions'),
    h('div', { class: 'split' },
      h('section', { class: 'panel', 'aria-label': 'Session list' }, field('Search sessions', search), list),
      detail));

  let sessions = [];
  async function load() {
    sessions = (await getJson('/v1/sessions?limit=100')).data;
    draw();
  }
  function draw() {
    const term = search.value.trim().toLowerCase();
    const shown = sessions.filter(s => !term || s.id.includes(term) || (s.agent ?? '').toLowerCase().includes(term));
    list.replaceChildren(...shown.map(s => h('li', {},
      h('button', { type: 'button', class: 'link open-session', 'data-session': s.id, onclick: () => open(s.id) },
        h('code', {}, s.id.slice(0, 12)), ` ${s.agent ?? ''}`),
      h('small', { class: 'muted' }, ` ${s.message_count} messages · ${time(s.updated_at)}`))));
    if (shown.length === 0) list.append(h('li', { class: 'muted' }, sessions.length ? 'No session matches.' : 'No sessions yet.'));
  }
  async function open(id) {
    detail.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    let session;
    try {
      session = await getJson(`/v1/sessions/${encodeURIComponent(id)}`);
    } catch (error) {
      detail.replaceChildren(errorBox(error));
      return;
    }
    const remove = h('button', { type: 'button', id: 'session-delete', class: 'danger' }, 'Delete');
    const status = h('p', { role: 'status' });
    remove.addEventListener('click', async () => {
      if (remove.dataset.confirm !== 'yes') {
        remove.dataset.confirm = 'yes';
        remove.textContent = 'Confirm delete';
        status.textContent = 'Press again to delete this session and its messages.';
        return;
      }
      try {
        await deleteJson(`/v1/sessions/${encodeURIComponent(id)}`);
        detail.replaceChildren(h('p', { role: 'status', id: 'session-deleted' }, `Session ${id} deleted.`));
        await load();
      } catch (error) {
        status.replaceChildren(errorBox(error));
      }
    });
    const messages = session.messages.map(m => {
      const b = bubble(m.role, m.content ?? '');
      for (const call of m.tool_calls ?? []) b.append(toolCall(call.name, call.arguments));
      for (const r of m.tool_results ?? []) b.append(toolResult(r.call_id, r.result));
      if (m.interrupted) b.append(h('p', { class: 'muted' }, 'Interrupted: the client left before the answer ended.'));
      return b;
    });
    detail.replaceChildren(
      h('h2', {}, 'Session ', h('code', { id: 'session-id' }, session.id)),
      h('p', { class: 'muted' }, `Agent ${session.agent ?? '–'} · created ${time(session.created_at)} · updated ${time(session.updated_at)}`),
      h('div', { class: 'row' }, h('a', { class: 'button', href: `#/chat?agent=${encodeURIComponent(session.agent ?? '')}&session=${encodeURIComponent(session.id)}` }, 'Continue in chat'), remove),
      status,
      h('div', { class: 'transcript' }, messages),
      session.pending_approvals.map(p => approvalCard({ ...p, session_id: session.id, agent: session.agent }, () => open(id))));
    detail.focus();
  }
  search.addEventListener('input', draw);
  await load();
  if (params.get('id')) open(params.get('id'));
}
