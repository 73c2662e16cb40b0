/**
 * Silo's alerting rules and example Prometheus configuration (deploy/prometheus), checked by
 * Prometheus itself: `promtool check config`, `promtool test rules`, and a real Prometheus
 * server scraping a real TODO app and evaluating every rule against what it serves.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../apps/todos/test/server';
import { PortTaken, freePort, withFreePort } from '../../test-support/free-port';
import { parseMetrics, prometheusTool } from '../../packages/web/test/prometheus';

const DIR = fileURLToPath(new URL('../prometheus', import.meta.url));
const RULES = path.join(DIR, 'silo-alerts.yml');

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(prometheusTool('promtool'), args, { cwd: DIR, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

interface PrometheusServer {
  readonly port: number;
  /** Its HTTP API, e.g. `${api}/targets`. */
  readonly api: string;
  /** What it has logged so far. */
  log(): string;
  stop(): Promise<void>;
}

/** How long Prometheus may take to bind its port. */
const LISTEN_TIMEOUT_MS = 30_000;

/**
 * Prometheus with `folder`/prometheus.yml, on a loopback port from freePort(). It cannot be
 * told port 0, and another process may bind the port first: it then exits saying so, and is
 * started again on another port (`pickPort` stands in for freePort in the test of that).
 */
function startPrometheus(folder: string, pickPort?: () => Promise<number>): Promise<PrometheusServer> {
  return withFreePort((port) => startPrometheusOn(folder, port), pickPort ? { pickPort } : {});
}

/**
 * Resolves once Prometheus logs `Listening on` (its bind succeeded; the `Start listening`
 * before it comes ahead of the bind); rejects with PortTaken when it exits because the port is
 * in use. Each attempt has a storage folder of its own, so none finds another's lock.
 */
function startPrometheusOn(folder: string, port: number): Promise<PrometheusServer> {
  const child = spawn(
    prometheusTool('prometheus'),
    [`--config.file=${path.join(folder, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(folder, `data-${port}`)}`, `--web.listen-address=127.0.0.1:${port}`],
    // It logs to stderr only; an unread stdout pipe could fill and stall it.
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const server: PrometheusServer = {
    port,
    api: `http://127.0.0.1:${port}/api/v1`,
    log: () => log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  return new Promise<PrometheusServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Prometheus did not listen on port ${port} within ${LISTEN_TIMEOUT_MS} ms:\n${log}`));
    }, LISTEN_TIMEOUT_MS);
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (/msg="Listening on"/.test(log)) {
        clearTimeout(timer);
        resolve(server);
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // After it listened this settles nothing: the promise is resolved already.
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const message = `Prometheus exited (${signal ?? `code ${code}`}) before it listened on port ${port}:\n${log}`;
      reject(/address already in use/.test(log) ? new PortTaken(message) : new Error(message));
    });
  });
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

describe('Prometheus started on a port found free', () => {
  let folder: string;

  beforeAll(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'silo-prometheus-port-'));
    writeFileSync(path.join(folder, 'prometheus.yml'), 'global: { scrape_interval: 1m }\n');
  });

  afterAll(() => {
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('is started again on another port when another process bound the first one before it', async () => {
    // The race freePort() leaves open, made certain: the first port handed out is in use.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const address = squatter.address();
    if (address === null || typeof address === 'string') throw new Error('The squatter has no port.');
    const handedOut: number[] = [];
    const pickPort = async (): Promise<number> => {
      const port = handedOut.length === 0 ? address.port : await freePort();
      handedOut.push(port);
      return port;
    };
    try {
      const prometheus = await startPrometheus(folder, pickPort);
      try {
        expect(handedOut).toHaveLength(2);
        expect(prometheus.port).toBe(handedOut[1]);
        expect(prometheus.port).not.toBe(address.port);
        const buildinfo = await waitFor('its API', async () => {
          const response = await fetch(`${prometheus.api}/status/buildinfo`);
          return response.ok ? ((await response.json()) as { status: string }) : undefined;
        });
        expect(buildinfo.status).toBe('success');
      } finally {
        await prometheus.stop();
      }
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('fails with what Prometheus logged when it stops for another reason, without trying again', async () => {
    const broken = mkdtempSync(path.join(folder, 'broken-'));
    writeFileSync(path.join(broken, 'prometheus.yml'), 'global: { scrape_interval: not-a-duration }\n');
    let attempts = 0;
    const error = await startPrometheus(broken, async () => {
      attempts++;
      return freePort();
    }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PortTaken);
    expect(String(error)).toMatch(/exited \(code [1-9]\d*\) before it listened[\s\S]*not-a-duration/);
    expect(attempts).toBe(1);
  });
});

describe('a real Prometheus scraping a real TODO app with the alert rules loaded', () => {
  let app: TestServer;
  let prometheus: PrometheusServer | undefined;
  let folder: string;
  let api: string;
  let metricsText: string;

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
    prometheus = await startPrometheus(folder);
    api = prometheus.api;
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
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
    expect(rules.filter((rule) => rule.health !== 'ok').map((rule) => `${rule.name}: ${rule.lastError ?? rule.health}`), prometheus?.log()).toEqual([]);
    const { alerts } = await get<{ alerts: { labels: Record<string, string> }[] }>('/alerts');
    expect(alerts.map((alert) => alert.labels['alertname'])).toEqual([]);
    // The app's own series arrived under the job's name.
    const { result } = await get<{ result: { value: [number, string] }[] }>('/query?query=silo_backups_enabled%7Bjob%3D%22silo-todos%22%7D');
    expect(result.map((sample) => sample.value[1])).toEqual(['0']);
  });
});
