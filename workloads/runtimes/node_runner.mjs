// wasmscope's Node.js runner: runs one WASI preview 1 module through node:wasi.
//
//   node --no-warnings node_runner.mjs [--preopen GUEST=HOST]... [--env K=V]... MODULE.wasm [ARGS...]
//
// The guest gets argv = [basename(MODULE), ...ARGS], only the environment given with --env,
// only the directories given with --preopen (HOST seen as GUEST), no sockets, and the
// process's stdin/stdout/stderr. Phases are timed here with process.hrtime.bigint() and reported as the LAST line
// on stderr:
//
//   wasmscope-node-runner {"compile_ms":..,"instantiate_ms":..,"run_ms":..,"exit_code":0,...}
//
// compile = WebAssembly.compile (V8 validates and, with lazy compilation, compiles functions
// only on their first call), instantiate = new WASI + WebAssembly.instantiate, run =
// wasi.start (the guest's _start, including lazy compilation and tier-up during it).
// A trap reports {"trap": true, "error": "RuntimeError: ..."} and exits 134; a failure before
// the guest ran reports {"stage": ..., "error": ...} and exits 70.
import { readFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { WASI } from 'node:wasi';

const MARK = 'wasmscope-node-runner ';
const now = () => process.hrtime.bigint();
const ms = (a, b) => Number(b - a) / 1e6;

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
while (argv[0] === '--preopen' || argv[0] === '--env') {
  const [flag, value] = argv.splice(0, 2);
  const at = value.indexOf('=');
  (flag === '--preopen' ? preopens : env)[value.slice(0, at)] = value.slice(at + 1);
}
const [modulePath, ...guestArgs] = argv;
const report = { node: process.version, v8: process.versions.v8 };
let code = 0;
let stage = 'read';
try {
  if (!modulePath) throw new Error('usage: node_runner.mjs MODULE.wasm [ARGS...]');
  const bytes = readFileSync(modulePath);
  stage = 'compile';
  const t0 = now();
  const module = await WebAssembly.compile(bytes);
  const t1 = now();
  report.compile_ms = ms(t0, t1);
  stage = 'instantiate';
  const wasi = new WASI({
    version: 'preview1',
    args: [basename(modulePath), ...guestArgs],
    env,
    preopens,
    returnOnExit: true,
  });
  const imports = typeof wasi.getImportObject === 'function'
    ? wasi.getImportObject()
    : { wasi_snapshot_preview1: wasi.wasiImport };
  const instance = await WebAssembly.instantiate(module, imports);
  const t2 = now();
  report.instantiate_ms = ms(t1, t2);
  stage = 'run';
  code = wasi.start(instance) ?? 0;
  report.run_ms = ms(t2, now());
  report.exit_code = code;
} catch (err) {
  report.stage = stage;
  report.error = `${err?.name ?? 'Error'}: ${err?.message ?? String(err)}`.split('\n')[0];
  report.trap = err instanceof WebAssembly.RuntimeError;
  code = report.trap ? 134 : 70;
}
writeSync(2, MARK + JSON.stringify(report) + '\n');
process.exit(code);
