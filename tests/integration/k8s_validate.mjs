// Validates Kubernetes manifests offline against the Kubernetes API schema, with the model
// classes of the npm package kubernetes-models (pinned in tools/install-deps.sh): types,
// required fields, enums and formats. Those accept fields the API does not have (a typo such as
// backoffLimitPerIndx would pass), so each field is also looked up in the models' type
// declarations (.d.ts), as `kubectl apply --validate=strict` would refuse an unknown field.
//   node tests/integration/k8s_validate.mjs FILE...     (YAML streams; "-" for stdin)
// Prints one line per document ("ok Job/barrage" or "INVALID Job/barrage: <errors>") and exits
// 0 when every document is valid, 1 when one is not, 2 when it cannot run (packages missing,
// unreadable file, YAML that does not parse, a kind it has no model for).
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = execFileSync(join(here, "../../tools/npm-path.sh")).toString().trim();

async function load(path) {
  try {
    return await import(join(modules, path));
  } catch (e) {
    console.error(`k8s_validate: cannot load ${path} (run tools/install-deps.sh): ${e.message}`);
    process.exit(2);
  }
}

const yaml = (await load("js-yaml/index.js")).default;
const models = {
  "batch/v1/Job": (await load("kubernetes-models/batch/v1/Job.js")).Job,
  "v1/ConfigMap": (await load("kubernetes-models/v1/ConfigMap.js")).ConfigMap,
  "v1/Secret": (await load("kubernetes-models/v1/Secret.js")).Secret,
};

const declarations = {
  "batch/v1/Job": "kubernetes-models/batch/v1/Job.d.ts",
  "v1/ConfigMap": "kubernetes-models/v1/ConfigMap.d.ts",
  "v1/Secret": "kubernetes-models/v1/Secret.d.ts",
};

// The fields of the interface a .d.ts declares: name -> type text, and where its types come from.
const interfaces = new Map();
function interfaceOf(file) {
  if (interfaces.has(file)) return interfaces.get(file);
  const text = readFileSync(file, "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm))
    imports.set(m[1], m[2].startsWith(".") ? join(dirname(file), m[2].replace(/\.js$/, ".d.ts"))
                                           : join(modules, m[2] + ".d.ts"));
  const body = /^export interface \w+[^{]*\{\n([\s\S]*?)^\}/m.exec(text);
  const fields = new Map();
  if (body)
    for (const m of body[1].matchAll(/^ {4}"([^"]+)"\??: (.*?);?$/gm)) fields.set(m[1], m[2]);
  const found = body ? { fields, imports } : null;
  interfaces.set(file, found);
  return found;
}

function unknownFields(value, file, path, out) {
  const iface = interfaceOf(file);
  if (!iface || value === null || typeof value !== "object" || Array.isArray(value)) return out;
  for (const [key, child] of Object.entries(value)) {
    if (!iface.fields.has(key)) {
      out.push(`unknown field ${path}.${key}`);
      continue;
    }
    const m = /^(Array<)?(I\w+)>?$/.exec(iface.fields.get(key));
    const childFile = m && iface.imports.get(m[2]);
    if (!childFile) continue;  // a string, number, map or enum
    for (const [i, item] of (m[1] ? child : [child]).entries())
      unknownFields(item, childFile, m[1] ? `${path}.${key}[${i}]` : `${path}.${key}`, out);
  }
  return out;
}

let invalid = 0;
for (const file of process.argv.slice(2)) {
  let docs;
  try {
    docs = yaml.loadAll(readFileSync(file === "-" ? 0 : file, "utf8")).filter((d) => d !== null);
  } catch (e) {
    console.error(`k8s_validate: ${file}: ${e.message.split("\n")[0]}`);
    process.exit(2);
  }
  for (const doc of docs) {
    const Model = models[`${doc.apiVersion}/${doc.kind}`];
    const name = `${doc.kind}/${doc.metadata?.name}`;
    if (!Model) {
      console.error(`k8s_validate: ${file}: no model for ${doc.apiVersion} ${doc.kind}`);
      process.exit(2);
    }
    const errors = unknownFields(doc, join(modules, declarations[`${doc.apiVersion}/${doc.kind}`]), "", []);
    try {
      new Model(doc).validate();
    } catch (e) {
      errors.unshift(e.message.replace(/\s+/g, " "));
    }
    if (errors.length) invalid++;
    console.log(errors.length ? `INVALID ${name}: ${errors.join(", ")}` : `ok ${name}`);
  }
}
process.exit(invalid ? 1 : 0);
