import { run } from './run';

// Everything this process writes (databases, WALs, backups, staging, secrets) is owner-only.
process.umask(0o077);

// `silo ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// Every command closes the fleet (and its query processes) before returning, so setting the
// exit code is enough: the process ends as soon as the output is written.
process.exitCode = await run(process.argv.slice(2));
