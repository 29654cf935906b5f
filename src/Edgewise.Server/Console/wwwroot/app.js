import { getJson, getKey, onUnauthorized, setKey, ApiError } from './api.js';
import { errorBox } from './dom.js';
import * as chat from './chat.js';
import * as agents from './agents.js';
import * as approvals from './approvals.js';
import * as sessions from './sessions.js';
import * as audit from './audit.js';
import * as models from './models.js';
import * as metrics from './metrics.js';

const pages = { chat, agents, approvals, sessions, audit, models, metrics };
const view = document.getElementById('view');
const dialog = document.getElementById('key-dialog');
const keyButton = document.getElementById('key-button');
let cleanup = null;
let keyWaiters = [];

function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [name, query] = hash.split('?');
  return { name: pages[name] ? name : 'chat', params: new URLSearchParams(query ?? '') };
}

async function render() {
  const { name, params } = route();
  if (cleanup) { try { cleanup(); } catch { /* page gone */ } cleanup = null; }
  for (const link of document.querySelectorAll('nav a[data-page]')) {
    if (link.dataset.page === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  // Each render draws into its own container, so a render overtaken by a newer one draws nowhere.
  const container = document.createElement('div');
  view.replaceChildren(container);
  document.title = `${name[0].toUpperCase()}${name.slice(1)} · Edgewise console`;
  try {
    const done = await pages[name].render(container, params) ?? null;
    if (container.isConnected) cleanup = done;
    else done?.();
  } catch (error) {
    container.append(errorBox(error));
  }
}

function askForKey(message) {
  const error = document.getElementById('key-error');
  error.textContent = message ?? '';
  if (!dialog.open) dialog.showModal();
  document.getElementById('key-input').focus();
  return new Promise(resolve => keyWaiters.push(resolve));
}

document.getElementById('key-form').addEventListener('submit', async event => {
  event.preventDefault();
  const input = document.getElementById('key-input');
  setKey(input.value.trim());
  try {
    await getJson('/v1/models', { quiet: true });
  } catch (error) {
    setKey(null);
    document.getElementById('key-error').textContent = error instanceof ApiError && error.status === 401 ? 'That key was refused.' : error.message;
    input.select();
    return;
  }
  input.value = '';
  dialog.close();
  keyButton.hidden = false;
  const waiters = keyWaiters;
  keyWaiters = [];
  if (waiters.length > 0) waiters.forEach(resolve => resolve());
  else render();
});
dialog.addEventListener('cancel', event => event.preventDefault());
keyButton.addEventListener('click', () => { setKey(null); askForKey().then(render); });
onUnauthorized(() => { setKey(null); askForKey('The key was refused; enter it again.').then(render); });


async function refreshBadge() {
  const badge = document.getElementById('approval-badge');
  try {
    const list = await getJson('/v1/approvals', { quiet: true });
    const waiting = list.data.filter(a => !a.expired).length;
    badge.textContent = waiting > 0 ? String(waiting) : '';
    badge.hidden = waiting === 0;
    badge.setAttribute('aria-label', `${waiting} waiting`);
  } catch { /* keep the last value; the page shows errors */ }
}

async function start() {
  try {
    await getJson('/v1/models', { quiet: true });
    if (getKey()) keyButton.hidden = false;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      setKey(null);
      await askForKey();
    } else {
      view.replaceChildren(errorBox(error));
    }
  }
  window.addEventListener('hashchange', render);
  await render();
  refreshBadge();
  setInterval(refreshBadge, 5000);
}

window.addEventListener('edgewise:approvals-changed', () => refreshBadge());
start();

