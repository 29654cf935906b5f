// Drives a running `edgewise serve` with the official ollama npm client and prints what each call returned as one
// JSON object; the C# test (OllamaJsClientTests) checks it. Usage: node client.mjs BASE_URL MODEL
import { Ollama } from 'ollama';

const [host, model] = process.argv.slice(2);
const ollama = new Ollama({ host });
const options = { num_predict: 4, temperature: 0, seed: 1 };

const list = await ollama.list();
const show = await ollama.show({ model });
const chat = await ollama.chat({ model, messages: [{ role: 'user', content: 'Hello' }], stream: false, options });
const parts = [];
let last;
for await (const part of await ollama.chat({ model, messages: [{ role: 'user', content: 'Hello' }], stream: true, options })) {
  parts.push(part.message.content);
  last = part;
}
const generate = await ollama.generate({ model, prompt: 'The capital of France is', stream: false, options });
const ps = await ollama.ps();

console.log(JSON.stringify({
  list: list.models,
  show: { details: show.details, model_info: show.model_info, template: typeof show.template },
  chat: { role: chat.message.role, content: chat.message.content, done: chat.done, eval_count: chat.eval_count },
  stream: { parts: parts.length, done: last?.done, done_reason: last?.done_reason },
  generate: { response: generate.response, done: generate.done, eval_count: generate.eval_count },
  ps: ps.models,
}));
