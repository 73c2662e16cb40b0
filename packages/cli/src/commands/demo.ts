import type { Command } from 'commander';
import { isSiloError, type Fleet, type Statement } from '@silo/fleet';
import { hashPassword, randomToken } from '@silo/web';
import { withFleet, type CliContext } from '../context';
import { CliFailure, EXIT } from '../errors';
import { renderInstanceTable } from '../format/instances';
import { examples } from '../help';

interface DemoInstance {
  readonly name: string;
  readonly displayName: string;
  readonly jurisdiction: string;
  readonly todos: readonly (readonly [title: string, completed: boolean])[];
}

/** The TODO app's schema id (silo.config.ts): the samples are its todos and owners. */
export const TODO_SCHEMA_ID = 'todos';

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

/** One sample made by this run, with the owner to sign in as (the password is shown only here). */
interface CreatedSample {
  readonly name: string;
  readonly region: string;
  readonly jurisdiction: string;
  readonly todos: number;
  readonly owner: { readonly email: string; readonly password: string };
}

/** A sample left alone, and why. */
interface SkippedSample {
  readonly name: string;
  readonly reason: string;
  readonly exists: boolean;
}

/** `silo demo`: a small fleet to look around in, made idempotently (existing names are left alone). */
export function registerDemo(program: Command, ctx: CliContext): void {
  const demo = program
    .command('demo')
    .summary('create sample instances with todos')
    .description('create sample instances in both jurisdictions (acme, globex in eu; initech, umbrella in us) with a few todos each')
    .option('--json', 'print { created, skipped, instances } as JSON (created samples carry their owner\'s sign-in)')
    .action(async (options: { json?: boolean }, cmd: Command) => {
      await withFleet(
        ctx,
        cmd,
        async (fleet, config) => {
          const { output } = ctx;
          // The samples are TODO lists: another app's tables would refuse them, after the
          // instance was made. Nothing is created for another schema.
          if (fleet.schema.id !== TODO_SCHEMA_ID) {
            throw new CliFailure(
              `silo demo makes sample lists of the TODO app (schema "${TODO_SCHEMA_ID}"); this fleet's schema is "${fleet.schema.id}", so nothing was created. Make your own with \`silo create <name> --jurisdiction <j>\`.`,
              EXIT.failed,
              'DEMO_NEEDS_TODO_SCHEMA',
            );
          }
          const created: CreatedSample[] = [];
          const skipped: SkippedSample[] = [];
          for (const [index, sample] of DEMO_INSTANCES.entries()) {
            const result = await createSample(fleet, sample, index);
            if ('owner' in result) created.push(result);
            else skipped.push(result);
          }
          await fleet.flushActivity();
          const shown = DEMO_INSTANCES.flatMap((sample) => fleet.find(sample.name) ?? []);
          if (options.json) return output.json({ created, skipped, instances: shown });
          for (const sample of created) {
            output.print(
              `${sample.name}: created in ${sample.region} (${sample.jurisdiction}) with ${sample.todos} todos; sign in at /t/${sample.name} as ${sample.owner.email} / ${sample.owner.password}`,
            );
          }
          // Existing samples are the normal second run (stdout); a missing jurisdiction is a warning.
          for (const sample of skipped) {
            if (sample.exists) output.print(output.style.dim(`${sample.name}: ${sample.reason}, skipped`));
            else output.note(`${sample.name}: ${sample.reason}; skipped`);
          }
          output.print('');
          output.print(renderInstanceTable(shown, fleet.schema.latestVersion, { style: output.style, metrics: config.metrics, width: output.width }));
          output.print('');
          output.print(created.length > 0 ? `Created ${created.map((sample) => sample.name).join(', ')}. Next:` : 'The demo instances were already there. Next:');
          output.print('  silo instances list');
          output.print('  silo show acme');
          output.print('  silo query acme "SELECT * FROM todos"');
          output.print('  silo query-all "SELECT count(*) AS open FROM todos WHERE completed = 0"');
        },
        { createsFleet: true },
      );
    });
  examples(demo, ['silo demo', 'silo --data-dir /tmp/silo-demo demo', 'silo demo --json | jq -r \'.created[] | "\\(.name) \\(.owner.email) \\(.owner.password)"\'']);
}

/** Creates and fills one sample, or says why it was skipped (it exists, or its jurisdiction is not configured). */
async function createSample(fleet: Fleet, sample: DemoInstance, index: number): Promise<CreatedSample | SkippedSample> {
  const existing = fleet.find(sample.name);
  if (existing) return { name: sample.name, reason: `exists (${existing.state})`, exists: true };
  const regions = fleet.regions.all.filter((region) => region.jurisdiction === sample.jurisdiction);
  if (regions.length === 0) return { name: sample.name, reason: `no region is configured for jurisdiction "${sample.jurisdiction}" (SILO_REGIONS)`, exists: false };
  // Spread the samples over the jurisdiction's regions, so the list shows more than one.
  const region = regions[index % regions.length]?.id ?? sample.jurisdiction;
  const now = Date.now();
  const statements: Statement[] = sample.todos.map(([title, completed], position) => {
    const at = now - (sample.todos.length - position) * 3_600_000;
    return { sql: 'INSERT INTO todos (title, completed, created_at, updated_at) VALUES (?, ?, ?, ?)', args: [title, completed ? 1 : 0, at, at] };
  });
  // An owner to sign in as in the TODO app; the password is generated and shown only here.
  const email = `owner@${sample.name}.example`;
  const password = randomToken().slice(0, 16);
  statements.push({
    sql: "INSERT INTO users (email, password_hash, role, created_at) VALUES (?, ?, 'owner', ?)",
    args: [email, await hashPassword(password), now],
  });
  try {
    // The rows go in as the create's seed: the sample is ready with them or not made at all.
    await fleet.create(sample.name, {
      jurisdiction: sample.jurisdiction,
      region,
      displayName: sample.displayName,
      seed: async (db) => {
        await db.batch(statements);
      },
    });
  } catch (error) {
    // Another process made it between our check and create: that is fine for a demo.
    if (isSiloError(error, 'NAME_TAKEN')) return { name: sample.name, reason: 'made by another process meanwhile', exists: true };
    throw error;
  }
  const completed = sample.todos.filter(([, done]) => done).length;
  fleet.touch(sample.name, { todos: sample.todos.length, completed });
  return { name: sample.name, region, jurisdiction: sample.jurisdiction, todos: sample.todos.length, owner: { email, password } };
}
