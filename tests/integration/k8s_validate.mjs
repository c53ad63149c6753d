// Validates Kubernetes manifests offline against the Kubernetes API schema, with the model
// classes of the npm package kubernetes-models (pinned in tools/install-deps.sh).
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
    try {
      new Model(doc).validate();
      console.log(`ok ${name}`);
    } catch (e) {
      invalid++;
      console.log(`INVALID ${name}: ${e.message.replace(/\s+/g, " ")}`);
    }
  }
}
process.exit(invalid ? 1 : 0);
