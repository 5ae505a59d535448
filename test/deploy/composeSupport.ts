// Helpers for the compose tests: `docker-compose config` read as JSON (PyYAML comes with
// docker-compose), the settings the README and docs/protocol.md document, and a scratch
// copy of the deployment files for the check script to run in.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/beacon.js';
import { ROOT } from '../support/process.js';

export interface ComposeService {
  image?: string;
  build?: unknown;
  profiles?: string[];
  environment?: Record<string, string | null>;
  entrypoint?: string[];
  command?: string[] | string;
  secrets?: { source: string; target?: string }[];
  volumes?: string[];
  ports?: string[];
  networks?: Record<string, { ipv4_address?: string } | null>;
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string };
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
}

export interface ComposeConfig {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file: string }>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
}

export const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
export const NO_COMPOSE = 'docker-compose is not installed (.ci/run installs it): compose file not validated';

/** `docker-compose [args] config` in `cwd` with only `env` (and PATH, HOME) set, as JSON. */
export function composeConfig(args: string[] = [], env: Record<string, string> = {}, cwd = ROOT): ComposeConfig {
  const config = spawnSync('docker-compose', ['-f', 'docker-compose.yml', ...args, 'config'], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    encoding: 'utf8',
  });
  assert.equal(config.status, 0, `docker-compose config failed: ${config.stderr}`);
  const json = spawnSync('python3', ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], {
    input: config.stdout,
    encoding: 'utf8',
  });
  assert.equal(json.status, 0, `cannot read the compose output as YAML: ${json.stderr}`);
  return JSON.parse(json.stdout) as ComposeConfig;
}

export function service(config: ComposeConfig, name: string): ComposeService {
  const found = config.services[name];
  assert.ok(found !== undefined, `no service ${name}`);
  return found;
}

/** The services a plain `docker-compose up` starts with these profiles enabled. */
export function servicesOf(config: ComposeConfig, profiles: readonly string[]): string[] {
  return Object.entries(config.services)
    .filter(([, s]) => s.profiles === undefined || s.profiles.some((p) => profiles.includes(p)))
    .map(([name]) => name)
    .sort();
}

/** Every backquoted setting name in the first column of the table under `heading`. */
function tableSettings(file: string, heading: RegExp): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const start = text.search(heading);
  assert.ok(start >= 0, `${file} has a section ${heading}`);
  const rest = text.slice(start);
  const next = rest.slice(1).search(/\n## /);
  const section = next < 0 ? rest : rest.slice(0, next + 1);
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cell = line.split('|')[1] ?? '';
    for (const m of cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(m[1] as string);
  }
  assert.ok(names.size > 10, `${file} ${heading}: found only ${[...names].join(', ')}`);
  return [...names];
}

/** The settings of README "Settings" and of the contract's "Running" table, together. */
export function documentedSettings(): string[] {
  const all = new Set([...tableSettings('README.md', /^## Settings$/m), ...tableSettings('docs/protocol.md', /^## 1\. Running$/m)]);
  return [...all].sort();
}

/** A scratch project: docker-compose.yml and scripts/check-deploy.sh, nothing else. */
export function scratchProject(): string {
  const dir = tempDir('beacon-deploy-');
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(ROOT, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
  copyFileSync(join(ROOT, 'scripts', 'check-deploy.sh'), join(dir, 'scripts', 'check-deploy.sh'));
  chmodSync(join(dir, 'scripts', 'check-deploy.sh'), 0o755);
  return dir;
}
