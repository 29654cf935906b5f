// Renders every reference chat template with every fixture through @huggingface/jinja and writes the
// expected outputs next to this script: <template>/<fixture>.txt, or <template>/<fixture>.error.txt when
// the reference implementation throws (the C# renderer must then throw a TemplateException).
// Usage: see README.md in this folder.
import { readFileSync, writeFileSync, readdirSync, mkdirSync, rmSync } from "node:fs";
import { join, dirname, basename } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const jinjaDir = process.env.HF_JINJA_DIR ?? "/tmp/hfjinja";
const require = createRequire(join(jinjaDir, "package.json"));
const { Template } = await import(require.resolve("@huggingface/jinja"));

const shared = process.env.EDGEWISE_SHARED ?? join(here, "../../../../../shared");
const templateDir = join(shared, "reference", "templates");
const fixtureDir = join(here, "fixtures");

export const BOS = "<BOS>";
export const EOS = "<EOS>";

const fixtures = readdirSync(fixtureDir).filter((f) => f.endsWith(".json")).sort();
for (const file of readdirSync(templateDir).filter((f) => f.endsWith(".jinja")).sort()) {
  const stem = basename(file, ".jinja");
  const source = readFileSync(join(templateDir, file), "utf8");
  const template = new Template(source);
  const outDir = join(here, stem);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const fixtureFile of fixtures) {
    const fixture = JSON.parse(readFileSync(join(fixtureDir, fixtureFile), "utf8"));
    if (fixture.templates && !fixture.templates.includes(stem)) {
      continue;
    }
    const name = basename(fixtureFile, ".json");
    const variables = {
      messages: fixture.messages,
      tools: fixture.tools ?? null,
      add_generation_prompt: fixture.add_generation_prompt,
      bos_token: BOS,
      eos_token: EOS,
      ...(fixture.variables ?? {}),
    };
    try {
      writeFileSync(join(outDir, `${name}.txt`), template.render(variables));
    } catch (error) {
      writeFileSync(join(outDir, `${name}.error.txt`), `${error.message}\n`);
    }
  }
}

// Small templates covering single features: snippets.json -> snippets.expected.json ({name: {output}|{error}}).
const snippets = JSON.parse(readFileSync(join(here, "snippets.json"), "utf8"));
const expected = {};
for (const snippet of snippets) {
  try {
    expected[snippet.name] = { output: new Template(snippet.template).render({ bos_token: BOS, eos_token: EOS, ...(snippet.vars ?? {}) }) };
  } catch (error) {
    expected[snippet.name] = { error: String(error.message ?? error) };
  }
}
writeFileSync(join(here, "snippets.expected.json"), JSON.stringify(expected, null, 1) + "\n");
