// Every call of the console goes through here: the same API routes any client uses, with the key from session storage.
const KEY = 'edgewise.apiKey';
let unauthorized = () => {};

export function onUnauthorized(handler) { unauthorized = handler; }
export function getKey() { return sessionStorage.getItem(KEY); }
export function setKey(key) { if (key) sessionStorage.setItem(KEY, key); else sessionStorage.removeItem(KEY); }

export class ApiError extends Error {
  constructor(status, message, code) { super(message); this.status = status; this.code = code; }
}

export async function request(method, path, body, options = {}) {
  const headers = { Accept: 'application/json' };
  const key = getKey();
  if (key) headers.Authorization = 'Bearer ' + key;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    signal: options.signal, credentials: 'omit', cache: 'no-store', redirect: 'error',
  });
  if (!response.ok) {
    let message = response.status + ' ' + response.statusText;
    let code;
    try {
      const json = await response.json();
      message = json?.error?.message ?? json?.title ?? message;
      code = json?.error?.code;
    } catch { /* not JSON */ }
    if (response.status === 401 && !options.quiet) unauthorized();
    throw new ApiError(response.status, message, code);
  }
  return response;
}

export async function getJson(path, options) { return (await request('GET', path, undefined, options)).json(); }
export async function postJson(path, body, options) { return (await request('POST', path, body, options)).json(); }
export async function deleteJson(path) { return (await request('DELETE', path)).json(); }
export async function getText(path) { return (await request('GET', path)).text(); }

/** Server-sent events of a streaming response: {event, data} per event, comments skipped. */
export async function* serverSentEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = 'message';
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n')) >= 0) {
      let line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n') };
        event = 'message';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let text = colon < 0 ? '' : line.slice(colon + 1);
      if (text.startsWith(' ')) text = text.slice(1);
      if (field === 'event') event = text;
      else if (field === 'data') data.push(text);
    }
  }
  if (data.length > 0) yield { event, data: data.join('\n') };
}

/** One parsed JSON object per line of a newline-delimited JSON response. */
export async function* jsonLines(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, end).trim();
      buffer = buffer.slice(end + 1);
      if (line) yield JSON.parse(line);
    }
  }
  if (buffer.trim()) yield JSON.parse(buffer);
}
