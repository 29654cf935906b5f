import { getJson, postJson, request, serverSentEvents, ApiError } from './api.js';
import { h, field, json, number, errorBox } from './dom.js';

// The conversation survives page switches within the tab (not reloads): model history or an agent session id.
const state = { target: '', history: [], sessionId: null };

export async function render(view, params) {
  const [modelList, agentList] = await Promise.all([getJson('/v1/models'), getJson('/v1/agents')]);
  const agentNames = new Set(agentList.data.map(a => a.name));
  const modelNames = modelList.data.map(m => m.id).filter(id => !agentNames.has(id));

  if (params.get('agent')) {
    state.target = 'agent:' + params.get('agent');
    state.sessionId = params.get('session');
    state.history = [];
  }

  const target = h('select', { id: 'chat-target' },
    h('optgroup', { label: 'Models' }, modelNames.map(m => h('option', { value: 'model:' + m }, m))),
    agentList.data.length ? h('optgroup', { label: 'Agents and routers' }, agentList.data.map(a => h('option', { value: 'agent:' + a.name }, `${a.name} (${a.type})`))) : null);
  if (state.target && [...target.options].some(o => o.value === state.target)) target.value = state.target;
  state.target = target.value;

  const system = h('textarea', { id: 'chat-system', rows: 2, placeholder: 'You are a helpful assistant.' });
  const temperature = h('input', { id: 'chat-temperature', type: 'number', min: 0, max: 2, step: 0.1, placeholder: 'model default' });
  const maxTokens = h('input', { id: 'chat-max-tokens', type: 'number', min: 1, max: 4096, step: 1, value: 256 });
  const schema = h('textarea', { id: 'chat-schema', rows: 3, placeholder: '{"type": "object", "properties": {…}}', spellcheck: 'false' });
  const modelOnly = h('fieldset', { class: 'model-only' }, h('legend', {}, 'Model settings'),
    field('System prompt', system),
    h('div', { class: 'row' }, field('Temperature', temperature), field('Max tokens', maxTokens)),
    field('JSON schema (response_format)', schema, 'Optional: the answer is constrained to this schema.'));
  const sessionLine = h('p', { id: 'chat-session', class: 'muted' });
  const newSession = h('button', { type: 'button', id: 'chat-new' }, 'New session');
  const transcript = h('div', { id: 'transcript', class: 'transcript', role: 'log', 'aria-label': 'Conversation' });
  const prompt = h('textarea', { id: 'chat-input', rows: 3, placeholder: 'Type a message; Ctrl+Enter sends.' });
  const send = h('button', { type: 'submit', id: 'chat-send', class: 'primary' }, 'Send');
  const stop = h('button', { type: 'button', id: 'chat-stop', disabled: true }, 'Stop');
  const stats = h('dl', { id: 'chat-stats', class: 'stats' });
  const form = h('form', { id: 'chat-form', class: 'composer' }, field('Message', prompt), h('div', { class: 'row' }, send, stop));

  view.append(h('h1', {}, 'Chat'),
    h('div', { class: 'chat-layout' },
      h('section', { class: 'panel settings', 'aria-label': 'Chat settings' }, field('Model or agent', target), modelOnly, h('div', { class: 'row' }, newSession), sessionLine),
      h('section', { class: 'panel conversation', 'aria-label': 'Conversation' }, transcript, stats, form)));

  let controller = null;

  function isAgent() { return target.value.startsWith('agent:'); }
  function name() { return target.value.slice(target.value.indexOf(':') + 1); }
  function updateMode() {
    modelOnly.hidden = isAgent();
    sessionLine.textContent = isAgent()
      ? (state.sessionId ? `Session ${state.sessionId}` : 'A new session starts with the next message.')
      : `${state.history.length} messages in this conversation.`;
  }
  function redraw() {
    transcript.replaceChildren();
    for (const m of state.history) transcript.append(bubble(m.role, m.content));
  }

  target.addEventListener('change', () => { state.target = target.value; state.history = []; state.sessionId = null; redraw(); updateMode(); });
  newSession.addEventListener('click', () => { state.history = []; state.sessionId = null; transcript.replaceChildren(); stats.replaceChildren(); updateMode(); prompt.focus(); });
  prompt.addEventListener('keydown', e => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); } });
  stop.addEventListener('click', () => controller?.abort());
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const text = prompt.value;
    if (!text.trim() || controller) return;
    prompt.value = '';
    controller = new AbortController();
    send.disabled = true;
    stop.disabled = false;
    try {
      if (isAgent()) await runAgent(name(), text, controller.signal);
      else await chatModel(name(), text, controller.signal);
    } finally {
      controller = null;
      send.disabled = false;
      stop.disabled = true;
      updateMode();
      prompt.focus();
    }
  });

  function showStats(s) {
    const entries = [['Time to first token', s.ttft === null ? '–' : `${Math.round(s.ttft)} ms`], ['Tokens/s', number(s.tps)], ['Tokens', String(s.tokens)], ['Finish reason', s.finish ?? '–']];
    stats.replaceChildren(...entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-stat': k }, v)]));
  }

  async function chatModel(model, text, signal) {
    let responseFormat;
    if (schema.value.trim()) {
      try {
        responseFormat = { type: 'json_schema', json_schema: { name: 'console', schema: JSON.parse(schema.value), strict: true } };
      } catch (error) {
        transcript.append(errorBox(new Error('The JSON schema is not valid JSON: ' + error.message)));
        return;
      }
    }
    state.history.push({ role: 'user', content: text });
    transcript.append(bubble('user', text));
    const answer = bubble('assistant', '');
    answer.classList.add('streaming');
    transcript.append(answer);
    const messages = (system.value.trim() ? [{ role: 'system', content: system.value }] : []).concat(state.history);
    const body = { model, messages, stream: true, stream_options: { include_usage: true }, max_tokens: Number(maxTokens.value) || 256 };
    if (temperature.value !== '') body.temperature = Number(temperature.value);
    if (responseFormat) body.response_format = responseFormat;
    const started = performance.now();
    const s = { ttft: null, tps: null, tokens: 0, finish: null };
    let first = null;
    let content = '';
    const calls = new Map();
    const textNode = answer.querySelector('.content');
    try {
      const response = await request('POST', '/v1/chat/completions', body, { signal });
      for await (const message of serverSentEvents(response)) {
        if (message.data === '[DONE]') break;
        const chunk = JSON.parse(message.data);
        if (chunk.error) throw new Error(chunk.error.message);
        const choice = chunk.choices?.[0];
        const delta = choice?.delta;
        if (delta?.content) {
          if (first === null) { first = performance.now(); s.ttft = first - started; }
          content += delta.content;
          s.tokens += 1;
          textNode.textContent = content;
        }
        for (const call of delta?.tool_calls ?? []) {
          const entry = calls.get(call.index) ?? { name: '', arguments: '' };
          entry.name += call.function?.name ?? '';
          entry.arguments += call.function?.arguments ?? '';
          calls.set(call.index, entry);
        }
        if (choice?.finish_reason) s.finish = choice.finish_reason;
        if (chunk.usage) s.tokens = chunk.usage.completion_tokens ?? s.tokens;
        if (first !== null && s.tokens > 1) s.tps = (s.tokens - 1) / ((performance.now() - first) / 1000);
        showStats(s);
      }
    } catch (error) {
      if (error.name === 'AbortError') s.finish = 'stopped';
      else answer.append(errorBox(error));
    }
    for (const call of calls.values()) answer.append(toolCall(call.name, call.arguments));
    answer.classList.remove('streaming');
    state.history.push({ role: 'assistant', content });
    showStats(s);
  }

  async function runAgent(agent, text, signal) {
    transcript.append(bubble('user', text));
    const answer = bubble('assistant', '', agent);
    answer.classList.add('streaming');
    const timeline = h('ol', { class: 'events', 'aria-label': 'Run events' });
    answer.append(timeline);
    transcript.append(answer);
    const textNode = answer.querySelector('.content');
    const started = performance.now();
    const s = { ttft: null, tps: null, tokens: 0, finish: null };
    let first = null;
    let content = '';
    try {
      const body = { input: text, stream: true };
      if (state.sessionId) body.session_id = state.sessionId;
      const response = await request('POST', `/v1/agents/${encodeURIComponent(agent)}/runs`, body, { signal });
      for await (const message of serverSentEvents(response)) {
        const data = JSON.parse(message.data);
        if (message.event === 'session') { state.sessionId = data.session_id; updateMode(); }
        else if (message.event === 'event') timeline.append(eventItem(data));
        else if (message.event === 'text') {
          if (first === null) { first = performance.now(); s.ttft = first - started; }
          content += data.text;
          s.tokens += 1;
          textNode.textContent = content;
          if (s.tokens > 1) s.tps = (s.tokens - 1) / ((performance.now() - first) / 1000);
        } else if (message.event === 'result') {
          s.finish = data.finish_reason;
          if (data.usage) s.tokens = data.usage.completion_tokens ?? s.tokens;
          textNode.textContent = data.output ?? content;
          answer.append(runDetails(data, () => transcript));
          if ((data.pending_approvals ?? []).length > 0) window.dispatchEvent(new Event('edgewise:approvals-changed'));
        } else if (message.event === 'error') {
          throw new ApiError(0, data.error?.message ?? 'The run failed.');
        }
        showStats(s);
      }
    } catch (error) {
      if (error.name === 'AbortError') s.finish = 'stopped';
      else answer.append(errorBox(error));
    }
    answer.classList.remove('streaming');
    showStats(s);
  }

  updateMode();
  redraw();
  return () => controller?.abort();
}

export function bubble(role, content, who) {
  return h('article', { class: `message ${role}` }, h('header', {}, who ? `${role} · ${who}` : role), h('div', { class: 'content' }, content ?? ''));
}

export function toolCall(name, args) {
  let shown = args;
  if (typeof args === 'string') { try { shown = JSON.parse(args); } catch { shown = args; } }
  return h('div', { class: 'tool-call' }, h('strong', {}, 'Tool call: '), h('code', {}, name), json(shown));
}

export function toolResult(callId, result) {
  return h('div', { class: 'tool-result' }, h('strong', {}, 'Tool result '), h('code', {}, callId ?? ''), json(result));
}

export function eventItem(e) {
  const parts = [e.kind, e.detail, e.tool ? `tool ${e.tool}` : null, e.call_id ? `call ${e.call_id}` : null].filter(Boolean);
  return h('li', { class: `event kind-${String(e.kind).replace(/[^a-z_]/g, '')}` }, h('time', { datetime: e.timestamp ?? e.ts ?? '' }, shortTime(e.timestamp ?? e.ts)), ' ', parts.join(' · '));
}

function shortTime(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString();
}

/** Tool calls, results and pending approvals of a run result, with approve/deny for each pending call. */
export function runDetails(result, host) {
  const box = h('div', { class: 'run-details' });
  for (const m of result.messages ?? []) {
    for (const call of m.tool_calls ?? []) box.append(toolCall(call.name, call.arguments));
    for (const r of m.tool_results ?? []) box.append(toolResult(r.call_id, r.result));
  }
  for (const pending of result.pending_approvals ?? []) {
    box.append(approvalCard({ ...pending, session_id: result.session_id, agent: result.agent }, outcome => {
      const target = host();
      target.append(bubble('assistant', outcome.output ?? '', outcome.agent), runDetails(outcome, host));
    }));
  }
  return box;
}

/** Approve and deny buttons bound to the call id and the arguments hash that were shown. */
export function approvalCard(pending, onResult) {
  const status = h('p', { class: 'muted', role: 'status' });
  const approve = h('button', { type: 'button', class: 'primary approve' }, 'Approve');
  const deny = h('button', { type: 'button', class: 'danger deny' }, 'Deny');
  async function answer(approved) {
    approve.disabled = deny.disabled = true;
    status.textContent = approved ? 'Approving…' : 'Denying…';
    try {
      const result = await postJson(`/v1/sessions/${encodeURIComponent(pending.session_id)}/approvals/${encodeURIComponent(pending.call_id)}`,
        { approved, arguments_hash: pending.arguments_hash });
      status.textContent = `${approved ? 'Approved' : 'Denied'}: the run finished with ${result.finish_reason}.`;
      onResult?.(result, status.textContent);
    } catch (error) {
      status.textContent = error.message;
      approve.disabled = deny.disabled = false;
    }
    window.dispatchEvent(new Event('edgewise:approvals-changed'));
  }
  if (pending.expired) deny.textContent = 'Close as denied';
  approve.addEventListener('click', () => answer(true));
  deny.addEventListener('click', () => answer(false));
  const expired = pending.expired || (pending.expires_at && new Date(pending.expires_at) <= new Date());
  return h('div', { class: 'approval' + (expired ? ' expired' : ''), 'data-call-id': pending.call_id },
    h('p', {}, h('strong', {}, 'Approval: '), h('code', {}, pending.tool), ` requested by ${pending.agent ?? 'agent'} in session `, h('code', {}, pending.session_id ?? '')),
    json(pending.arguments),
    h('p', { class: 'muted' }, `Arguments hash ${pending.arguments_hash}`),
    expired ? h('p', { class: 'denied' }, 'Expired: denied (the tool will not run).') : null,
    h('div', { class: 'row' }, expired ? null : approve, deny), status);
}
