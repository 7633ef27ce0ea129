/**
 * Loads the configuration once at start: config/default.json, then the JSON file
 * named by GATEWAY_CONFIG, then environment variables. The result is validated,
 * deep-frozen and passed to whoever needs it; nothing reads config globally.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './project-root.js';
import { configSchema, type GatewayConfig } from './schema.js';
import { ENV_BINDINGS, parseEnvValue } from './env.js';

export class ConfigError extends Error {
  readonly code = 'GATEWAY_CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

const DEFAULT_FILE = path.join(PROJECT_ROOT, 'config', 'default.json');

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergeDeep(base: Json, override: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? mergeDeep(current, value) : value;
  }
  return out;
}

function readJsonFile(file: string, problems: string[]): Json {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (isObject(parsed)) return parsed;
    problems.push(`${file}: expected a JSON object`);
  } catch (err) {
    problems.push(`${file}: ${(err as Error).message}`);
  }
  return {};
}

function envOverrides(env: NodeJS.ProcessEnv, problems: string[]): Json {
  let out: Json = {};
  for (const binding of ENV_BINDINGS) {
    const raw = env[binding.name];
    if (raw === undefined || raw === '') continue;
    const parsed = parseEnvValue(binding, raw);
    if ('error' in parsed) {
      problems.push(parsed.error);
      continue;
    }
    const patch = binding.path.reduceRight<unknown>((acc, key) => ({ [key]: acc }), parsed.value) as Json;
    out = mergeDeep(out, patch);
  }
  return out;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Validates a raw object against the schema; every problem is listed, not only the first. */
export function validateConfig(raw: unknown, problems: string[] = []): GatewayConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const config = result.data;
  config.server.basePath = config.server.basePath.replace(/\/+$/, '');
  config.upstream.url = config.upstream.url.replace(/\/+$/, '');
  if (config.server.publicUrl) config.server.publicUrl = config.server.publicUrl.replace(/\/+$/, '');
  return deepFreeze(config);
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  defaultsFile?: string;
  /** Extra values merged last (tests use this instead of environment variables). */
  overrides?: Json;
}

export function loadConfig(options: LoadOptions = {}): GatewayConfig {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  let raw = readJsonFile(options.defaultsFile ?? DEFAULT_FILE, problems);
  const file = env.GATEWAY_CONFIG;
  if (file) raw = mergeDeep(raw, readJsonFile(file, problems));
  raw = mergeDeep(raw, envOverrides(env, problems));
  if (options.overrides) raw = mergeDeep(raw, options.overrides);
  return validateConfig(raw, problems);
}
