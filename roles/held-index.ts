// One index version held by a child: the usearch graph, the profile row table and a file handle on
// the vectors, so a profile's own vector is one positional read away.
import { closeSync } from 'node:fs';
import type { LoadMode } from '../channel/protocol.js';
import { type EngineIndex, exactNearest, normalizeInPlace } from '../index-version/engine.js';
import type { Manifest } from '../index-version/format.js';
import { readFullyAt } from '../index-version/read-at.js';
import type { RowTable } from '../index-version/row-table.js';
import { type HashFiles, hashFilesHere } from '../index-version/verify.js';
import { AttributePostings } from './attribute-postings.js';
import { admittedNearest, type Narrowing, type SearchableRows } from './filtered-search.js';
import type { LiveChanges } from './live-changes.js';
import type { Matches, NearestAnswer, NearestRequest, RecommendResult } from './nearest-request.js';
import { openVersion } from './open-version.js';
import { PageEncoder } from './page-encoder.js';
import type { RowTest } from './query-filter.js';
import { ResultPage } from './result-page.js';
import { forEachRun } from './runs.js';
import type { ScanCopy } from './scan-copy.js';

/** usearch.search of one vector gives Matches (no counts), of several BatchMatches. */
interface BatchResult {
  keys: BigUint64Array;
  distances: Float32Array;
  counts?: BigUint64Array;
}

const WARMUP_QUERIES = 256;
// One query is one graph walk: usearch splits a batch by query, so a single search gets one thread.
const ONE_THREAD = 1;

export class HeldIndex {
  private readonly queryVector: Float32Array;
  private readonly pages: PageEncoder;
  private readonly searchable: SearchableRows;
  private readonly postings: AttributePostings;
  private closed = false;

  private constructor(
    readonly version: string,
    readonly manifest: Manifest,
    readonly mode: LoadMode,
    private readonly index: EngineIndex,
    readonly rows: RowTable,
    /** The vectors file, open while its vectors are not in `vectorsInHeap`. */
    private readonly vectorsFd: number | null,
    private readonly vectorsInHeap: Float32Array | null,
    scanCopy: ScanCopy | null,
    private readonly fullScan: boolean,
    /** Threads a batch search may use (channel/defaults.ts searchThreadsFor); a batch of one uses one. */
    private readonly searchThreads: number,
  ) {
    this.queryVector = new Float32Array(manifest.dims);
    this.searchable = {
      count: rows.count,
      liveCount: rows.liveCount,
      dims: manifest.dims,
      metric: manifest.params.metric,
      vectorsInHeap: vectorsInHeap !== null,
      scanCopy,
      isRemoved: (row) => rows.isRemoved(row),
      graphSearch: (vector, k) => index.search(vector, k, ONE_THREAD),
      vectorsInto: (rowList, target) => this.vectorsInto(rowList, target),
    };
    this.postings = AttributePostings.of(rows.attributes, rows.count);
    this.pages = new PageEncoder(rows);
  }

  /**
   * Verifies the version's checksums, then loads (copy into this heap) or views (memory-map) its
   * index. The checksum pass reads every file, which also leaves a viewed index in the page cache.
   * Rows follow the mode: a loaded version holds them in the heap, a viewed one too when they are
   * small, else reads them from the file (page cache, shared by both children). A child passes a
   * `hashFiles` that hashes at low priority (roles/fetch/low-priority-checksums.ts).
   */
  static async open(
    dir: string,
    mode: LoadMode,
    expectedVersion?: string,
    hashFiles: HashFiles = hashFilesHere,
    searchThreads = 1,
  ): Promise<HeldIndex> {
    const opened = await openVersion(dir, mode, expectedVersion, hashFiles);
    const { manifest, rows } = opened;
    try {
      const held = new HeldIndex(
        manifest.version,
        manifest,
        mode,
        opened.index,
        rows,
        opened.vectorsFd,
        opened.vectorsInHeap,
        opened.scanCopy,
        opened.fullScan,
        Math.max(1, Math.floor(searchThreads)),
      );
      // A loaded index is already in this heap; only a view has pages to fault in.
      if (mode === 'view') held.warmUp();
      return held;
    } catch (err) {
      rows.close();
      throw err;
    }
  }

  /** Profiles held (rows an incremental build removed are not counted). */
  get count(): number {
    return this.rows.liveCount;
  }

  get dims(): number {
    return this.manifest.dims;
  }

  /** Copies row `row`'s vector into a reused buffer. */
  vectorOf(row: number): Float32Array {
    return this.vectorInto(row, this.queryVector);
  }

  /** Row `rowList[i]`'s vector into `target` at `i * dims`; consecutive rows are read as one run. */
  private vectorsInto(rowList: ArrayLike<number>, target: Float32Array): void {
    const dims = this.dims;
    forEachRun(rowList, (at, first, length) => this.readRows(first, length, target.subarray(at * dims, (at + length) * dims)));
  }

  /** Copies row `row`'s vector into `target` (dims floats), for a caller that keeps several. */
  vectorInto(row: number, target: Float32Array): Float32Array {
    this.readRows(row, 1, target);
    return target;
  }

  /** Rows `first..first + count` into `target`, from this heap or in one read of the file. */
  private readRows(first: number, count: number, target: Float32Array): void {
    const dims = this.dims;
    if (this.vectorsInHeap) target.set(this.vectorsInHeap.subarray(first * dims, (first + count) * dims));
    else readFullyAt(this.vectorsFd!, target.subarray(0, count * dims), first * dims * Float32Array.BYTES_PER_ELEMENT);
  }

  rowOf(id: string): number | undefined {
    return this.rows.rowOf(id);
  }

  /** The n profiles nearest to `id`, nearest first, `id` itself excluded. */
  recommend(id: string, n: number, live: LiveChanges | null = null): RecommendResult {
    const request = this.recommendRequest(id, n, live);
    return 'code' in request ? request : { ok: true, body: this.nearestMany([request], live)[0]!.body };
  }

  /**
   * A recommend query as a batch request: the profile's own vector (a fresh copy), itself left
   * out. A live change of the profile wins over the version's row; a delete since makes it unknown.
   */
  recommendRequest(id: string, n: number, live: LiveChanges | null = null): NearestRequest | Extract<RecommendResult, { ok: false }> {
    const row = this.rows.rowOf(id);
    const change = live?.lookup(id) ?? { state: 'absent' as const };
    if (change.state === 'gone' || (change.state === 'absent' && row === undefined))
      return { ok: false, code: 'UNKNOWN_ID', message: `no profile with _id ${JSON.stringify(id)}` };
    if (change.state === 'live') return { vector: change.vector, n, excludeRow: row ?? -1, excludeSlot: change.slot };
    return { vector: this.vectorInto(row!, new Float32Array(this.dims)), n, excludeRow: row! };
  }

  /** Nearest to a caller's vector: scaled to unit length first when the index holds unit vectors. */
  nearestTo(vector: Float32Array, n: number, live: LiveChanges | null = null): Buffer {
    return this.nearestMany([this.searchRequest(vector, n)], live)[0]!.body;
  }

  searchRequest(vector: Float32Array, n: number): NearestRequest {
    return { vector: this.manifest.params.metric === 'ip' ? normalizeInPlace(vector) : vector, n, excludeRow: -1 };
  }

  /**
   * Result bodies for a batch, in order. Requests that want the same number of matches share one
   * engine call: the binding's per-call cost is a good part of a small search. Only equal
   * wants share, since usearch widens its search to k, so a request's result never depends on
   * what else came in its batch. With live changes, the version's out-of-date rows are dropped
   * (searching again, wider, when too few are left) and the changes' exact matches merged in.
   */
  nearestMany(requests: NearestRequest[], live: LiveChanges | null = null): NearestAnswer[] {
    const matches: Matches[] = new Array(requests.length);
    const byWant = new Map<number, number[]>();
    requests.forEach((request, i) => {
      if (request.admits || request.after) return;
      // A full scan sees removed rows too (the graph does not): ask for that many more.
      const want = Math.min(request.n + (request.excludeRow >= 0 ? 1 : 0) + (this.fullScan ? this.rows.removedCount : 0), this.rows.count);
      if (want <= 0) matches[i] = { keys: [], distances: [] };
      else if (this.fullScan) matches[i] = this.search(request.vector, want);
      else {
        const group = byWant.get(want);
        if (group) group.push(i);
        else byWant.set(want, [i]);
      }
    });
    for (const [want, group] of byWant) {
      let flat = requests[group[0]!]!.vector;
      if (group.length > 1) {
        flat = new Float32Array(group.length * this.dims);
        for (const [j, i] of group.entries()) flat.set(requests[i]!.vector, j * this.dims);
      }
      // The binding returns keys and distances for all queries, `want` slots each, `counts` filled.
      // usearch starts its threads per call and splits the batch between them, one query at a time.
      const threads = Math.min(this.searchThreads, group.length);
      const found = this.index.search(flat, want, threads) as unknown as BatchResult;
      group.forEach((i, j) => {
        const start = j * want;
        const end = start + Number(found.counts?.[j] ?? found.keys.length);
        matches[i] = { keys: found.keys.subarray(start, end), distances: found.distances.subarray(start, end) };
      });
    }
    return requests.map((request, i) => {
      if (request.admits || request.after) return this.nearestPage(request, live);
      const page = new ResultPage(request.n);
      if (live === null) return this.pages.answer(matches[i]!, page, request.excludeRow);
      const fromIndex = this.withoutShadowed(matches[i]!, request, live);
      return this.pages.answer(fromIndex, page, request.excludeRow, live, live.nearest(request.vector, request.n, request.excludeSlot));
    });
  }

  /**
   * A filtered query or a later page: every row the filter admits that is not out of date is a
   * candidate, and the search digs as deep as the pages already served plus this one.
   */
  private nearestPage(request: NearestRequest, live: LiveChanges | null): NearestAnswer {
    const page = new ResultPage(request.n, request.after);
    const want = page.depth;
    const admitsRow = request.admits?.row;
    const usable: RowTest = (row) => row !== request.excludeRow && !live?.isShadowed(row) && (admitsRow === undefined || admitsRow(row));
    const bounds = request.admits?.rowBounds ?? null;
    // Besides the filter's own: the querier, removed rows, rows a live change made out of date.
    const otherRejects = 1 + this.rows.removedCount + (live?.shadowedRows ?? 0);
    const narrowing: Narrowing = {
      bounds,
      candidates: bounds ? this.postings.candidates(bounds) : null,
      exceptions: bounds?.exceptions === null ? null : (bounds?.exceptions ?? 0) + otherRejects,
    };
    const { matches } = admittedNearest(this.searchable, request.vector, want, usable, !this.fullScan, narrowing);
    const delta = live?.nearest(request.vector, want, request.excludeSlot, request.admits?.slot, request.maxSeq) ?? null;
    return this.pages.answer(matches, page, request.excludeRow, live, delta);
  }

  private search(vector: Float32Array, want: number): Matches {
    if (this.fullScan) return exactNearest(this.vectorsInHeap!, vector, this.dims, want, this.manifest.params.metric);
    return this.index.search(vector, want, ONE_THREAD);
  }

  /** `matches`, or a wider search when out-of-date rows left fewer than the request's n. */
  private withoutShadowed(matches: Matches, request: NearestRequest, live: LiveChanges): Matches {
    if (live.shadowedRows === 0) return matches;
    let usable = 0;
    for (let i = 0; i < matches.keys.length; i++) {
      const row = Number(matches.keys[i]);
      if (row !== request.excludeRow && !live.isShadowed(row) && !this.rows.isRemoved(row)) usable++;
    }
    const widest = Math.min(this.rows.count, request.n + 1 + live.shadowedRows + (this.fullScan ? this.rows.removedCount : 0));
    if (usable >= request.n || matches.keys.length >= widest) return matches;
    return this.search(request.vector, widest);
  }

  /** First queries on cold pages fault; touching the graph before promotion keeps them off the clock. */
  private warmUp(): void {
    const count = this.rows.count;
    const step = Math.max(1, Math.floor(count / WARMUP_QUERIES));
    for (let row = 0; row < count; row += step) this.index.search(this.vectorOf(row), 10, ONE_THREAD);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.vectorsFd !== null) closeSync(this.vectorsFd);
    this.rows.close();
  }
}
