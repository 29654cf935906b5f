import { getJson } from './api.js';
import { h, time, json } from './dom.js';
import { eventItem } from './chat.js';

const known = new Set(['name', 'type', 'description', 'model', 'tools', 'approval_required', 'private', 'agents']);

export async function render(view) {
  const [agents, sessions, mcp] = await Promise.all([getJson('/v1/agents'), getJson('/v1/sessions?limit=100'), getJson('/admin/mcp')]);
  const timeline = h('section', { id: 'agent-timeline', class: 'panel', 'aria-label': 'Run timeline', tabindex: '-1' }, h('p', { class: 'muted' }, 'Pick a run to see its events.'));
  const cards = agents.data.map(a => {
    const approvals = new Set(a.approval_required ?? []);
    const runs = sessions.data.filter(s => s.agent === a.name);
    const extra = Object.fromEntries(Object.entries(a).filter(([k]) => !known.has(k)));
    return h('article', { class: 'panel agent', 'data-agent': a.name },
      h('h2', {}, a.name, ' ', h('span', { class: 'tag' }, a.type), a.private ? h('span', { class: 'tag private' }, 'private') : null),
      h('p', {}, a.description ?? ''),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Model'), h('dd', {}, a.model ?? '–'),
        h('dt', {}, 'Privacy'), h('dd', {}, a.private ? 'private: stays on local models, never escalated' : 'not private'),
        a.type === 'router' ? [h('dt', {}, 'Routes to'), h('dd', {}, (a.agents ?? []).join(', ') || '–')] : null,
        h('dt', {}, 'Tools'), h('dd', {}, (a.tools ?? []).length === 0 ? 'none' :
          h('ul', { class: 'inline' }, a.tools.map(t => h('li', {}, h('code', {}, t), approvals.has(t) ? h('span', { class: 'tag warn' }, 'approval required') : null))))),
      Object.keys(extra).length ? h('details', {}, h('summary', {}, 'More settings'), json(extra)) : null,
      a.type === 'agent' ? h('div', {}, h('h3', {}, 'Runs'),
        runs.length === 0 ? h('p', { class: 'muted' }, 'No sessions yet.') :
          h('ul', { class: 'list' }, runs.map(s => h('li', {}, h('button', { type: 'button', class: 'link open-run', onclick: () => show(s) }, h('code', {}, s.id.slice(0, 12)), ` · ${s.message_count} messages · ${time(s.updated_at)}`))))) : null);
  });

  async function show(session) {
    const log = await getJson(`/admin/audit?limit=1000&session_id=${encodeURIComponent(session.id)}`);
    let previous = null;
    const items = log.data.map(row => {
      const item = eventItem(row);
      const at = new Date(row.ts).getTime();
      if (previous !== null && row.kind !== 'run_started') item.append(h('span', { class: 'muted' }, ` (+${Math.max(0, at - previous)} ms)`));
      previous = at;
      if (row.kind === 'run_started') item.classList.add('run-start');
      return item;
    });
    timeline.replaceChildren(h('h2', {}, `Session ${session.id.slice(0, 12)} · ${session.agent}`),
      h('p', { class: 'muted' }, 'Routing decisions, escalations, handoffs, guardrails, approvals and tool calls, with the time since the event before.'),
      items.length ? h('ol', { class: 'events' }, items) : h('p', { class: 'muted' }, 'No events recorded.'),
      h('a', { class: 'button', href: `#/sessions?id=${encodeURIComponent(session.id)}` }, 'Open session'));
    timeline.focus();
  }

  const status = { pinned: 'pinned: usable', changed: 'changed since pinned: disabled', new: 'not pinned: disabled' };
  const servers = mcp.data.map(server => h('article', { class: 'panel mcp-server', 'data-server': server.server },
    h('h3', {}, 'MCP server ', h('code', {}, server.server)),
    server.error ? h('p', { class: 'error' }, server.error) : null,
    server.tools.length === 0 && !server.error ? h('p', { class: 'muted' }, 'It lists no tools.') : null,
    server.tools.length ? h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['Tool', 'Status', 'Definition hash', 'Description'].map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, server.tools.map(t => h('tr', { 'data-tool': t.tool },
        h('td', {}, h('code', {}, t.tool)),
        h('td', {}, h('span', { class: t.status === 'pinned' ? 'tag' : 'tag warn' }, status[t.status] ?? t.status),
          t.pinned_hash && t.pinned_hash !== t.hash ? h('div', { class: 'muted' }, 'pinned: ', h('code', {}, t.pinned_hash.slice(0, 16))) : null),
        h('td', {}, h('code', { title: t.hash }, t.hash.slice(0, 16))),
        h('td', {}, t.description))))) : null,
    server.missing_pins.length ? h('p', { class: 'muted' }, 'Pinned but no longer listed: ', server.missing_pins.join(', ')) : null));

  view.append(h('div', {}, h('h1', {}, 'Agents'),
    agents.data.length === 0 ? h('p', { class: 'muted' }, 'No agents are configured: start the server with --config edgewise.yaml.') : null,
    h('div', { class: 'split' }, h('div', { class: 'cards' }, cards), timeline),
    mcp.data.length ? h('section', { class: 'mcp', 'aria-label': 'MCP tools' }, h('h2', {}, 'MCP tools'),
      h('p', { class: 'muted' }, 'An MCP tool is usable only while its definition hash matches the pin in edgewise.yaml. Review a new or changed definition, then pin it with: edgewise mcp pin SERVER [TOOL...]'),
      servers) : null));
}
