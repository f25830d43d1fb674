// How BENCHMARKS.md writes figures and data set names, shared by the section renderers.

export const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
export const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
export const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : 'n/a');

export const DATASET_TITLES: Record<string, string> = {
  'demo-2k': '2,000 demo profiles (128 dims)',
  'demo-10k': '10,000 demo profiles (128 dims)',
  'random-10k-1024': '10,000 x 1,024 uniform random vectors',
  'random-10k-128': '10,000 x 128 uniform random vectors',
  'demo-100k': '100,000 demo profiles (128 dims)',
  'demo-1m': '1,000,000 demo profiles (128 dims)',
};
