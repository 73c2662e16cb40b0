import type { Command } from 'commander';
import { isSiloError, type Fleet, type Statement } from '@silo/fleet';
import { hashPassword, randomToken } from '@silo/web';
import { withFleet, type CliContext } from '../context';
import { renderInstanceTable } from '../format/instances';
import { examples } from '../help';

interface DemoInstance {
  readonly name: string;
  readonly displayName: string;
  readonly jurisdiction: string;
  readonly todos: readonly (readonly [title: string, completed: boolean])[];
}

/** Sample customers in both default jurisdictions, each with a few todos. */
export const DEMO_INSTANCES: readonly DemoInstance[] = [
  {
    name: 'acme',
    displayName: 'Acme Corporation',
    jurisdiction: 'eu',
    todos: [
      ['Order more anvils', true],
      ['Test the rocket skates', false],
      ['Renew the road-runner permit', false],
      ['Reply to the safety inspector', true],
      ['Paint a tunnel on the cliff', false],
    ],
  },
  {
    name: 'globex',
    displayName: 'Globex Corporation',
    jurisdiction: 'eu',
    todos: [
      ['Quarterly planning', true],
      ['Hire a new project lead', false],
      ['Book the hammock supplier', false],
    ],
  },
  {
    name: 'initech',
    displayName: 'Initech',
    jurisdiction: 'us',
    todos: [
      ['Put cover sheets on the TPS reports', true],
      ['Find the red stapler', false],
      ['Move desk to the basement', true],
      ['Fix the printer', false],
    ],
  },
  {
    name: 'umbrella',
    displayName: 'Umbrella Corporation',
    jurisdiction: 'us',
    todos: [
      ['Audit lab access badges', false],
      ['Schedule the board meeting', true],
      ['Update the emergency procedures', false],
      ['Order replacement filters', false],
      ['Review the containment report', true],
      ['Archive old research notes', false],
    ],
  },
];

/** `silo demo`: a small fleet to look around in, made idempotently (existing names are left alone). */
export function registerDemo(program: Command, ctx: CliContext): void {
  const demo = program
    .command('demo')
    .summary('create sample instances with todos')
    .description('create sample instances in both jurisdictions (acme, globex in eu; initech, umbrella in us) with a few todos each')
    .action(async (_options: unknown, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet, config) => {
        const { output } = ctx;
        const names: string[] = [];
        for (const [index, sample] of DEMO_INSTANCES.entries()) {
          const created = await createSample(fleet, ctx, sample, index);
          if (created !== undefined) names.push(sample.name);
        }
        await fleet.flushActivity();
        const shown = DEMO_INSTANCES.flatMap((sample) => fleet.find(sample.name) ?? []);
        output.print('');
        output.print(renderInstanceTable(shown, fleet.schema.latestVersion, { style: output.style, metrics: config.metrics }));
        output.print('');
        output.print(names.length > 0 ? `Created ${names.join(', ')}. Next:` : 'The demo instances were already there. Next:');
        output.print('  silo instances list');
        output.print('  silo show acme');
        output.print('  silo query acme "SELECT * FROM todos"');
        output.print('  silo query-all "SELECT count(*) AS open FROM todos WHERE completed = 0"');
      });
    });
  examples(demo, ['silo demo', 'silo --data-dir /tmp/silo-demo demo']);
}

/** Creates and fills one sample; undefined when it already exists or its jurisdiction is not configured. */
async function createSample(fleet: Fleet, ctx: CliContext, sample: DemoInstance, index: number): Promise<string | undefined> {
  const { output } = ctx;
  const existing = fleet.find(sample.name);
  if (existing) {
    output.print(output.style.dim(`${sample.name}: exists (${existing.state}), skipped`));
    return undefined;
  }
  const regions = fleet.regions.all.filter((region) => region.jurisdiction === sample.jurisdiction);
  if (regions.length === 0) {
    output.note(`${sample.name}: no region is configured for jurisdiction "${sample.jurisdiction}" (SILO_REGIONS); skipped`);
    return undefined;
  }
  // Spread the samples over the jurisdiction's regions, so the list shows more than one.
  const region = regions[index % regions.length]?.id;
  try {
    await fleet.create(sample.name, { jurisdiction: sample.jurisdiction, region, displayName: sample.displayName });
  } catch (error) {
    // Another process made it between our check and create: that is fine for a demo.
    if (isSiloError(error, 'NAME_TAKEN')) return undefined;
    throw error;
  }
  const now = Date.now();
  const statements: Statement[] = sample.todos.map(([title, completed], position) => {
    const at = now - (sample.todos.length - position) * 3_600_000;
    return { sql: 'INSERT INTO todos (title, completed, created_at, updated_at) VALUES (?, ?, ?, ?)', args: [title, completed ? 1 : 0, at, at] };
  });
  // An owner to sign in as in the TODO app; the password is generated and shown only here.
  const owner = `owner@${sample.name}.example`;
  const password = randomToken().slice(0, 16);
  statements.push({
    sql: "INSERT INTO users (email, password_hash, role, created_at) VALUES (?, ?, 'owner', ?)",
    args: [owner, await hashPassword(password), now],
  });
  await fleet.withInstance(sample.name, (db) => db.batch(statements));
  const completed = sample.todos.filter(([, done]) => done).length;
  fleet.touch(sample.name, { todos: sample.todos.length, completed });
  output.print(`${sample.name}: created in ${region} (${sample.jurisdiction}) with ${sample.todos.length} todos; sign in at /t/${sample.name} as ${owner} / ${password}`);
  return sample.name;
}
