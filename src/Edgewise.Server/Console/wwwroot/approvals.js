import { getJson } from './api.js';
import { h } from './dom.js';
import { approvalCard, bubble, runDetails } from './chat.js';

export async function render(view) {
  const list = h('div', { id: 'approval-list', class: 'cards' });
  const results = h('div', { id: 'approval-results', 'aria-live': 'polite' });
  const refresh = h('button', { type: 'button' }, 'Refresh');
  view.append(h('h1', {}, 'Approvals'),
    h('p', { class: 'muted' }, 'Tool calls waiting for a person, across your sessions. Approve or deny binds to the call id and the arguments hash shown here.'),
    h('div', { class: 'row' }, refresh), list, results);

  async function load() {
    const data = (await getJson('/v1/approvals')).data;
    list.replaceChildren();
    if (data.length === 0) list.append(h('p', { class: 'muted', id: 'approvals-empty' }, 'Nothing is waiting for approval.'));
    for (const pending of data) {
      list.append(approvalCard(pending, (result, outcome) => {
        results.append(h('section', { class: 'panel' }, h('h2', {}, `Session ${pending.session_id}`), h('p', { role: 'status' }, outcome),
          bubble('assistant', result.output ?? '', result.agent), runDetails(result, () => results)));
        load();
      }));
    }
  }
  refresh.addEventListener('click', load);
  await load();
  const timer = setInterval(() => { if (!list.querySelector('button:disabled')) load().catch(() => {}); }, 5000);
  return () => clearInterval(timer);
}
