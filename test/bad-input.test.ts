// Malformed requests, table-driven: each gets a 4xx JSON error with a useful message, never a
// 5xx, a hang or a crash, and valid requests keep being answered in between.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { HttpErrorCode } from '../api/errors.js';
import { VECTORS_FILE, versionDir } from '../index-version/format.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

interface Case {
  name: string;
  method?: string;
  path: string;
  body?: string;
  contentType?: string | null;
  status: number;
  code: HttpErrorCode;
  message: RegExp;
}

t.test('bad input table', async (t) => {
  const fx = await startFixture(t, { count: 150 });
  const version = await waitFor('served', async () => (await fx.status()).servingVersion);
  const id = fx.ids[1]!;
  const dims = 128;
  const vector = (length: number, fill = 0.5) => JSON.stringify({ vector: Array.from({ length }, () => fill), n: 3 });
  const cases: Case[] = [
    { name: 'n not numeric', code: 'TANDEM_ERR_BAD_N', path: `/recommend/${id}/ten`, status: 400, message: /positive whole number/ },
    { name: 'n negative', code: 'TANDEM_ERR_BAD_N', path: `/recommend/${id}/-1`, status: 400, message: /positive whole number/ },
    { name: 'n zero', code: 'TANDEM_ERR_BAD_N', path: `/recommend/${id}/0`, status: 400, message: /positive whole number/ },
    { name: 'n fractional', code: 'TANDEM_ERR_BAD_N', path: `/recommend/${id}/2.5`, status: 400, message: /positive whole number/ },
    { name: 'n huge', code: 'TANDEM_ERR_N_TOO_LARGE', path: `/recommend/${id}/${'9'.repeat(400)}`, status: 400, message: /at most 100/ },
    { name: 'n exponent', code: 'TANDEM_ERR_BAD_N', path: `/recommend/${id}/1e2`, status: 400, message: /positive whole number/ },
    { name: 'n hex', code: 'TANDEM_ERR_BAD_N', path: `/recommend/${id}/0x10`, status: 400, message: /positive whole number/ },
    { name: 'id empty', code: 'TANDEM_ERR_BAD_ID', path: `/recommend//5`, status: 400, message: /1 to 128 characters/ },
    {
      name: 'id too long for any id',
      code: 'TANDEM_ERR_BAD_ID',
      path: `/recommend/${'a'.repeat(300)}/5`,
      status: 400,
      message: /1 to 128 characters/,
    },
    {
      name: 'id very long (URI limit)',
      code: 'TANDEM_ERR_URI_TOO_LONG',
      path: `/recommend/${'a'.repeat(5000)}/5`,
      status: 414,
      message: /max param length/,
    },
    {
      name: 'id unicode',
      code: 'TANDEM_ERR_BAD_ID',
      path: `/recommend/${encodeURIComponent('żółw🐢')}/5`,
      status: 400,
      message: /1 to 128 characters/,
    },
    {
      name: 'id path traversal',
      code: 'TANDEM_ERR_BAD_ID',
      path: `/recommend/..%2F..%2Fetc%2Fpasswd/5`,
      status: 400,
      message: /1 to 128 characters/,
    },
    { name: 'id with NUL', code: 'TANDEM_ERR_BAD_ID', path: `/recommend/ab%00cd/5`, status: 400, message: /1 to 128 characters/ },
    {
      name: 'id unknown',
      code: 'TANDEM_ERR_UNKNOWN_ID',
      path: `/recommend/ffffffffffffffffffffffff/5`,
      status: 404,
      message: /no profile with _id/,
    },
    {
      name: 'POST on recommend',
      code: 'TANDEM_ERR_METHOD_NOT_ALLOWED',
      method: 'POST',
      path: `/recommend/${id}/5`,
      body: '{}',
      status: 405,
      message: /use GET/,
    },
    {
      name: 'DELETE on recommend',
      code: 'TANDEM_ERR_METHOD_NOT_ALLOWED',
      method: 'DELETE',
      path: `/recommend/${id}/5`,
      status: 405,
      message: /use GET/,
    },
    {
      name: 'PUT on status',
      code: 'TANDEM_ERR_METHOD_NOT_ALLOWED',
      method: 'PUT',
      path: `/status`,
      body: '{}',
      status: 405,
      message: /use GET/,
    },
    { name: 'GET on search', code: 'TANDEM_ERR_METHOD_NOT_ALLOWED', path: `/search`, status: 405, message: /use POST/ },
    {
      name: 'search: text/plain body',
      code: 'TANDEM_ERR_UNSUPPORTED_MEDIA_TYPE',
      method: 'POST',
      path: '/search',
      body: vector(dims),
      contentType: 'text/plain',
      status: 415,
      message: /content-type/i,
    },
    {
      name: 'search: no content type',
      code: 'TANDEM_ERR_UNSUPPORTED_MEDIA_TYPE',
      method: 'POST',
      path: '/search',
      body: vector(dims),
      contentType: null,
      status: 415,
      message: /content-type/i,
    },
    {
      name: 'search: invalid JSON',
      code: 'TANDEM_ERR_BAD_JSON',
      method: 'POST',
      path: '/search',
      body: '{"vector": [1, 2,',
      status: 400,
      message: /JSON/,
    },
    {
      name: 'search: NaN literal',
      code: 'TANDEM_ERR_BAD_JSON',
      method: 'POST',
      path: '/search',
      body: '{"vector": [NaN]}',
      status: 400,
      message: /JSON/,
    },
    { name: 'search: empty body', code: 'TANDEM_ERR_BAD_JSON', method: 'POST', path: '/search', body: '', status: 400, message: /empty/i },
    {
      name: 'search: oversized body',
      code: 'TANDEM_ERR_BODY_TOO_LARGE',
      method: 'POST',
      path: '/search',
      body: JSON.stringify({ vector: Array(60_000).fill(0.123456) }),
      status: 413,
      message: /too large/i,
    },
    {
      name: 'search: missing vector',
      code: 'TANDEM_ERR_BAD_BODY',
      method: 'POST',
      path: '/search',
      body: '{"n": 3}',
      status: 400,
      message: /vector/,
    },
    {
      name: 'search: vector of strings',
      code: 'TANDEM_ERR_BAD_BODY',
      method: 'POST',
      path: '/search',
      body: '{"vector": ["1", "2"]}',
      status: 400,
      message: /number/,
    },
    {
      name: 'search: empty vector',
      code: 'TANDEM_ERR_BAD_BODY',
      method: 'POST',
      path: '/search',
      body: '{"vector": []}',
      status: 400,
      message: /fewer than 1/,
    },
    {
      name: 'search: Infinity (1e999)',
      code: 'TANDEM_ERR_BAD_BODY',
      method: 'POST',
      path: '/search',
      body: '{"vector": [1e999, 1]}',
      status: 400,
      message: /must be number/,
    },
    {
      name: 'search: zero vector',
      code: 'TANDEM_ERR_BAD_VECTOR',
      method: 'POST',
      path: '/search',
      body: vector(dims, 0),
      status: 400,
      message: /all zeros/,
    },
    {
      name: 'search: wrong length',
      code: 'TANDEM_ERR_BAD_QUERY',
      method: 'POST',
      path: '/search',
      body: vector(3),
      status: 400,
      message: /3 numbers; the index has 128 dimensions/,
    },
    {
      name: 'search: n zero',
      code: 'TANDEM_ERR_BAD_BODY',
      method: 'POST',
      path: '/search',
      body: JSON.stringify({ vector: Array(dims).fill(1), n: 0 }),
      status: 400,
      message: /n/,
    },
    {
      name: 'search: n over cap',
      code: 'TANDEM_ERR_BAD_BODY',
      method: 'POST',
      path: '/search',
      body: JSON.stringify({ vector: Array(dims).fill(1), n: 101 }),
      status: 400,
      message: /n/,
    },
    {
      name: 'search: body is an array',
      code: 'TANDEM_ERR_BAD_BODY',
      method: 'POST',
      path: '/search',
      body: '[1,2,3]',
      status: 400,
      message: /object/,
    },
    { name: 'trace: bad limit', code: 'TANDEM_ERR_BAD_LIMIT', path: '/trace?limit=abc', status: 400, message: /limit/ },
    { name: 'no such route', code: 'TANDEM_ERR_NO_ROUTE', path: '/admin', status: 404, message: /no route/ },
  ];
  for (const c of cases) {
    const headers: Record<string, string> = {};
    const contentType = c.contentType === undefined ? (c.body !== undefined ? 'application/json' : undefined) : c.contentType;
    if (contentType) headers['content-type'] = contentType;
    const response = await fetch(fx.system.url + c.path, {
      method: c.method ?? 'GET',
      headers,
      // A Uint8Array body, unlike a string, makes fetch add no content-type of its own.
      ...(c.body !== undefined && { body: contentType ? c.body : new TextEncoder().encode(c.body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    t.equal(response.status, c.status, `${c.name}: status ${c.status}`);
    t.match(response.headers.get('content-type'), /application\/json/, `${c.name}: JSON`);
    let body: { statusCode?: number; code?: string; message?: string } = {};
    try {
      body = JSON.parse(text);
    } catch {
      t.fail(`${c.name}: body is not JSON: ${text.slice(0, 100)}`);
    }
    t.match(body, { statusCode: c.status, code: c.code, message: c.message }, `${c.name}: says why (${body.message})`);
    // The service keeps answering valid requests throughout.
    t.equal((await fx.get(`/recommend/${id}/2`)).status, 200, `${c.name}: still serving`);
  }
  t.equal((await fx.status()).servingVersion, version, 'no restarts, no swaps caused by bad input');
  t.ok(
    (await fx.status()).slots.every((s) => s.restarts === 0),
    'no child crashed',
  );
});

t.test('POST /search finds the profiles nearest to a vector', async (t) => {
  const fx = await startFixture(t, { count: 150 });
  const version = await waitFor('served', async () => (await fx.status()).servingVersion);
  const raw = readFileSync(path.join(versionDir(fx.dataDir, version), VECTORS_FILE));
  const row5 = Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset + 5 * 128 * 4, raw.byteOffset + 6 * 128 * 4)));
  const response = await fetch(`${fx.system.url}/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ vector: row5, n: 4 }),
  });
  t.equal(response.status, 200);
  const neighbours = (await response.json()) as { _id: string; distance: number }[];
  t.equal(neighbours.length, 4);
  t.equal(neighbours[0]!._id, fx.ids[5], 'its own profile comes first');
  t.ok(neighbours[0]!.distance < 1e-5);
  const byId = (await fx.get<{ _id: string }[]>(`/recommend/${fx.ids[5]}/3`)).body;
  t.same(
    neighbours.slice(1).map((n) => n._id),
    byId.map((n) => n._id),
    'the rest equal /recommend for that profile',
  );
  const scaled = await fetch(`${fx.system.url}/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ vector: row5.map((x) => x * 7.5), n: 4 }),
  });
  const scaledNeighbours = (await scaled.json()) as { _id: string; distance: number }[];
  t.same(
    scaledNeighbours.map((n) => n._id),
    neighbours.map((n) => n._id),
    'cosine: the length of the vector does not matter',
  );
  t.ok(Math.abs(scaledNeighbours[1]!.distance - neighbours[1]!.distance) < 1e-5, 'nor do the distances');
});
