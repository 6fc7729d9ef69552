// End-to-end driver for `cargo xtask bench`: Cloudflare's official TypeScript SDK (`cloudflare`
// on npm), run with Node.
//
//   node ts_sdk.mjs get  --base-url U --token T --zone Z --pack P --n 1000 --warmup 50
//   node ts_sdk.mjs list --base-url U --token T --zone Z --per-page 50 --repeat 5
//
// The SDK is loaded from the npm prefix in $CF_BENCH_NODE_PREFIX (the harness installs it under
// target/). Prints one JSON object like the Rust drivers. Retries are off (maxRetries: 0).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const prefix = process.env.CF_BENCH_NODE_PREFIX;
if (!prefix) throw new Error('set CF_BENCH_NODE_PREFIX to the npm prefix holding `cloudflare`');
const require = createRequire(join(prefix, 'package.json'));
const { default: Cloudflare } = await import(pathToFileURL(require.resolve('cloudflare')).href);
const manifest = join(prefix, 'node_modules', 'cloudflare', 'package.json');
const version = JSON.parse(readFileSync(manifest, 'utf8')).version;

const [mode, ...rest] = process.argv.slice(2);
const a = {};
for (let i = 0; i < rest.length; i += 2) a[rest[i].replace(/^--/, '')] = rest[i + 1];

const client = new Cloudflare({
  apiToken: a.token,
  baseURL: a['base-url'],
  maxRetries: 0,
  timeout: 60_000,
});
const zone_id = a.zone;
let report;
if (mode === 'get') {
  const id = a.pack;
  for (let i = 0; i < Number(a.warmup ?? 50); i++) await client.ssl.certificatePacks.get(id, { zone_id });
  const samples = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < Number(a.n ?? 1000); i++) {
    const start = process.hrtime.bigint();
    const got = await client.ssl.certificatePacks.get(id, { zone_id });
    samples.push(Number(process.hrtime.bigint() - start));
    if (!got) throw new Error('empty result');
  }
  const used = process.cpuUsage(cpu);
  report = { samples_ns: samples, cpu_ns: (used.user + used.system) * 1000 };
} else if (mode === 'list') {
  const per_page = Number(a['per-page'] ?? 50);
  await client.ssl.certificatePacks.list({ zone_id, per_page: 5 }); // opens the connection
  const walks = [];
  let items = 0;
  for (let r = 0; r < Number(a.repeat ?? 5); r++) {
    const start = process.hrtime.bigint();
    items = 0;
    for await (const pack of client.ssl.certificatePacks.list({ zone_id, per_page })) {
      if (pack) items++;
    }
    walks.push(Number(process.hrtime.bigint() - start));
  }
  report = { walks_ns: walks, items };
} else {
  throw new Error(`unknown mode ${mode}`);
}
report.sdk_version = version;
console.log(JSON.stringify(report));
