// `node dist/builder/generate-cli.js --count N --seed S --out data/profiles.jsonl`
import { Command, InvalidArgumentError } from 'commander';
import { writeProfilesJsonl } from './generate.js';

function integer(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
}

const program = new Command()
  .name('generate')
  .description('write deterministic demo profiles as JSON lines')
  .option('--count <n>', 'number of profiles', integer(0), 10_000)
  .option('--seed <n>', 'PRNG seed', integer(Number.MIN_SAFE_INTEGER), 42)
  .option('--out <file>', 'output file', 'data/profiles.jsonl');

const opts = program.parse().opts<{ count: number; seed: number; out: string }>();
try {
  await writeProfilesJsonl(opts.out, opts.count, opts.seed);
  process.stdout.write(`${JSON.stringify({ msg: 'profiles written', out: opts.out, count: opts.count, seed: opts.seed })}\n`);
} catch (err) {
  process.stderr.write(`generate: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
