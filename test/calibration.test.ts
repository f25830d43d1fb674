// Each build measures recall on a sample and keeps the smallest search expansion (ef) that reaches
// the target; an ef chosen by the caller is measured once and kept.
import path from 'node:path';
import t from 'tap';
import { buildIndex } from '../builder/build.js';
import { RECALL_TARGET } from '../builder/calibrate.js';
import { writeProfilesJsonl } from '../builder/generate.js';
import { silent } from './helpers/builder-fixture.js';

t.test('each build calibrates its search expansion from measured recall; a chosen one is kept', async (t) => {
  const dir = t.testdir();
  const source = path.join(dir, 'profiles.jsonl');
  await writeProfilesJsonl(source, 6_000, 5);
  const calibrated = await buildIndex({ source, dataDir: path.join(dir, 'a'), logger: silent });
  const calibration = calibrated.calibration!;
  const last = calibration.tried[calibration.tried.length - 1]!;
  t.equal(calibrated.params.expansionSearch, calibration.expansionSearch, 'the manifest carries the chosen ef to the children');
  t.equal(last.expansionSearch, calibration.expansionSearch);
  t.ok(last.recall >= RECALL_TARGET, `recall ${last.recall} at ef ${last.expansionSearch}`);
  t.ok(
    calibration.tried.slice(0, -1).every((step) => step.recall < RECALL_TARGET),
    'the smallest ef that reaches the target',
  );
  t.equal(calibration.sample, 256);

  const fixed = await buildIndex({ source, dataDir: path.join(dir, 'b'), logger: silent, params: { expansionSearch: 40 } });
  t.equal(fixed.params.expansionSearch, 40);
  t.same(
    fixed.calibration!.tried.map((step) => step.expansionSearch),
    [40],
    'only the chosen ef is measured',
  );
});
