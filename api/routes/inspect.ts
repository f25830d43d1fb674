// The /inspect page: its files, the machines as graphs and the live stream it draws from.
import type { FastifyInstance } from 'fastify';
import type { LiveFeed } from '../../inspect/live-feed.js';
import { type MachineGraph, machineGraph } from '../../inspect/machine-graph.js';
import { PageAssets } from '../../inspect/page-assets.js';
import { slotMachine } from '../../statecharts/slot.js';
import { supervisorMachine } from '../../statecharts/supervisor.js';
import { httpError } from '../errors.js';
import { sendError } from '../reply-error.js';
import { inspectAssetSchema, inspectEventsSchema, inspectMachinesSchema, inspectPageSchema } from '../schemas/inspect.js';

let machines: { machines: MachineGraph[] } | null = null;

/** Read from the definitions once: they do not change while the process runs. */
function machineGraphs(): { machines: MachineGraph[] } {
  machines ??= { machines: [machineGraph(supervisorMachine), machineGraph(slotMachine)] };
  return machines;
}

export function inspectRoutes(app: FastifyInstance, feed: LiveFeed): void {
  const assets = new PageAssets();
  // Open streams would hold the server's close up until their clients left.
  app.addHook('preClose', async () => feed.close());

  app.get('/inspect', { schema: inspectPageSchema }, async (_request, reply) => {
    const page = await assets.get('index.html')!;
    return reply.type(page.type).header('cache-control', 'no-cache').send(page.body);
  });

  app.get<{ Params: { file: string } }>('/inspect/assets/:file', { schema: inspectAssetSchema }, async (request, reply) => {
    const asset = assets.get(request.params.file);
    if (!asset) return sendError(reply, httpError('TANDEM_ERR_NO_ROUTE', request.method, request.url));
    const { body, type } = await asset;
    return reply.type(type).header('cache-control', 'no-cache').send(body);
  });

  app.get('/inspect/machines.json', { schema: inspectMachinesSchema }, async () => machineGraphs());

  app.get('/inspect/events', { schema: inspectEventsSchema }, async (request, reply) => {
    if (!/\btext\/event-stream\b/.test(request.headers.accept ?? '')) return feed.snapshot();
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      // A proxy that buffers would hold the stream back.
      'x-accel-buffering': 'no',
    });
    feed.attach(reply.raw);
  });
}
