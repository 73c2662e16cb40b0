/**
 * Silo's alerting rules and example Prometheus configuration (deploy/prometheus), checked by
 * Prometheus itself: `promtool check config`, `promtool test rules`, and a real Prometheus
 * server scraping a real TODO app and evaluating every rule against what it serves.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../apps/todos/test/server';
import { freePort } from '../../test-support/free-port';
import { parseMetrics, prometheusTool } from '../../packages/web/test/prometheus';

const DIR = fileURLToPath(new URL('../prometheus', import.meta.url));
const RULES = path.join(DIR, 'silo-alerts.yml');

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(prometheusTool('promtool'), args, { cwd: DIR, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}


async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

describe('the Prometheus files in deploy/prometheus', () => {
  it('are a valid configuration whose rules load (promtool check config)', () => {
    const { status, output } = promtool('check', 'config', 'prometheus.example.yml');
    expect(output).toContain('SUCCESS: 10 rules found');
    expect(status, output).toBe(0);
  });

  it("fire, and stay quiet, as their tests say (promtool test rules)", () => {
    const { status, output } = promtool('test', 'rules', 'silo-alerts.test.yml');
    expect(status, output).toBe(0);
  });
});

interface RuleState {
  readonly name: string;
  readonly health: string;
  readonly lastError?: string;
  readonly lastEvaluation: string;
}

describe('a real Prometheus scraping a real TODO app with the alert rules loaded', () => {
  let app: TestServer;
  let prometheus: ChildProcess;
  let folder: string;
  let api: string;
  let metricsText: string;
  let prometheusLog = '';

  beforeAll(async () => {
    // Backups off: no scheduler is expected, so a healthy app must raise no alert at all.
    app = await startServer({ SILO_METRICS_PORT: '0', SILO_BACKUPS: 'off' });
    const metricsUrl = /metrics on (http:\/\/\S+\/metrics)/.exec(app.output())?.[1];
    if (!metricsUrl) throw new Error(`The app did not say where its metrics are:\n${app.output()}`);
    metricsText = await (await fetch(metricsUrl)).text();
    folder = mkdtempSync(path.join(tmpdir(), 'silo-prometheus-'));
    writeFileSync(
      path.join(folder, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: [${JSON.stringify(RULES)}]`,
        'scrape_configs:',
        '  - job_name: silo-todos',
        `    static_configs: [{ targets: [${JSON.stringify(new URL(metricsUrl).host)}] }]`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    api = `http://127.0.0.1:${port}/api/v1`;
    prometheus = spawn(
      prometheusTool('prometheus'),
      [`--config.file=${path.join(folder, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(folder, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stderr?.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString()));
  }, 60_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await app?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  const get = async <T>(pathAndQuery: string): Promise<T> => {
    const body = (await (await fetch(`${api}${pathAndQuery}`)).json()) as { status: string; data: T };
    if (body.status !== 'success') throw new Error(JSON.stringify(body));
    return body.data;
  };

  it('every metric a rule reads is one the app serves', () => {
    const served = new Set(parseMetrics(metricsText).keys());
    const read = [...new Set(readFileSync(RULES, 'utf8').match(/\bsilo_[a-z0-9_]+/g) ?? [])];
    expect(read.length).toBeGreaterThan(5);
    // A histogram's series carry _count, _bucket and _sum after its name.
    expect(read.filter((name) => !served.has(name) && !served.has(name.replace(/_(count|bucket|sum)$/, '')))).toEqual([]);
  });

  it('scrapes the app and evaluates every rule without an error, and no alert is raised', async () => {
    const target = await waitFor('the scrape', async () => {
      const { activeTargets } = await get<{ activeTargets: { health: string; lastError: string; lastScrape: string }[] }>('/targets');
      return activeTargets.find((candidate) => candidate.health === 'up');
    });
    expect(target.lastError).toBe('');
    const scraped = Date.parse(target.lastScrape);
    // Evaluated after that scrape, so every rule has seen the app's series.
    const rules = await waitFor('an evaluation of every rule after the scrape', async () => {
      const { groups } = await get<{ groups: { rules: RuleState[] }[] }>('/rules');
      const all = groups.flatMap((group) => group.rules);
      return all.length > 0 && all.every((rule) => Date.parse(rule.lastEvaluation) > scraped) ? all : undefined;
    });
    expect(rules).toHaveLength(10);
    expect(rules.filter((rule) => rule.health !== 'ok').map((rule) => `${rule.name}: ${rule.lastError ?? rule.health}`), prometheusLog).toEqual([]);
    const { alerts } = await get<{ alerts: { labels: Record<string, string> }[] }>('/alerts');
    expect(alerts.map((alert) => alert.labels['alertname'])).toEqual([]);
    // The app's own series arrived under the job's name.
    const { result } = await get<{ result: { value: [number, string] }[] }>('/query?query=silo_backups_enabled%7Bjob%3D%22silo-todos%22%7D');
    expect(result.map((sample) => sample.value[1])).toEqual(['0']);
  });
});
