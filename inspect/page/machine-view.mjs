// @ts-check
// One statechart drawn as SVG: the graph from /inspect/machines.json laid out by ELK (layered,
// nested states as compound nodes), then the current state(s) marked on it.
/** @typedef {import('./types').MachineGraph} MachineGraph */
/** @typedef {import('./types').GraphTransition} GraphTransition */
/** @typedef {import('./types').ElkNode} ElkNode */
/** @typedef {{ x: number, y: number, width: number, height: number }} Box */

const SVG = 'http://www.w3.org/2000/svg';
const CHAR_WIDTH = 6.2;
const LABEL_HEIGHT = 14;
/** The pseudo-state transitions declared on the machine itself start from ("in any state"). */
const ANY = '*any';

/**
 * @param {string} tag
 * @param {Record<string, string | number>} [attributes]
 * @param {string} [text]
 */
export function svg(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** @param {string} text */
const textWidth = (text) => Math.ceil(text.length * CHAR_WIDTH) + 4;

/** @param {GraphTransition} transition */
function edgeLabel(transition) {
  if (transition.kind === 'after') return `after ${transition.event}`;
  return transition.event;
}

/**
 * The ELK graph of a machine: its root's children at top level, compound states holding theirs,
 * every targeted transition an edge (those declared on the root start from an "any state" node).
 * @param {MachineGraph} graph
 * @returns {ElkNode}
 */
export function elkGraph(graph) {
  const root = graph.states.find((state) => state.parent === null);
  if (!root) throw new Error(`machine ${graph.id} has no root state`);
  /** @type {Map<string, ElkNode>} */
  const nodes = new Map();
  const elkRoot = /** @type {ElkNode} */ ({
    id: root.id,
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36',
      'elk.spacing.nodeNode': '24',
      'elk.spacing.edgeLabel': '2',
      'elk.layered.edgeLabels.sideSelection': 'ALWAYS_UP',
      // States in the order the definition lists them (its main path), back edges the ones going up.
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
    },
    children: [],
    edges: [],
  });
  nodes.set(root.id, elkRoot);
  for (const state of graph.states) {
    if (state.parent === null) continue;
    const hasChildren = graph.states.some((other) => other.parent === state.id);
    const width = textWidth(state.key) + 20;
    /** @type {ElkNode} */
    const node = hasChildren
      ? {
          id: state.id,
          children: [],
          layoutOptions: {
            'elk.padding': '[top=26,left=10,bottom=10,right=10]',
            'elk.nodeSize.constraints': 'MINIMUM_SIZE',
            'elk.nodeSize.minimum': `(${width}, 40)`,
          },
        }
      : { id: state.id, width, height: 28 };
    nodes.set(state.id, node);
    nodes.get(state.parent)?.children?.push(node);
  }
  const targeted = graph.transitions.filter((transition) => transition.targets.length > 0);
  if (targeted.some((transition) => transition.source === root.id)) {
    elkRoot.children?.unshift({ id: `${root.id}.${ANY}`, width: textWidth('any state') + 20, height: 28 });
  }
  for (const transition of targeted) {
    const source = transition.source === root.id ? `${root.id}.${ANY}` : transition.source;
    for (const target of transition.targets) {
      const text = edgeLabel(transition);
      elkRoot.edges?.push({
        id: `${transition.id}>${target}`,
        sources: [source],
        targets: [target],
        labels: [{ text, width: textWidth(text), height: LABEL_HEIGHT }],
      });
    }
  }
  return elkRoot;
}

/**
 * Absolute boxes of every node: ELK gives each relative to its parent.
 * @param {ElkNode} node
 * @param {number} dx
 * @param {number} dy
 * @param {Map<string, Box>} boxes
 */
function collectBoxes(node, dx, dy, boxes) {
  const x = dx + (node.x ?? 0);
  const y = dy + (node.y ?? 0);
  boxes.set(node.id, { x, y, width: node.width ?? 0, height: node.height ?? 0 });
  for (const child of node.children ?? []) collectBoxes(child, x, y, boxes);
}

/** @type {InstanceType<typeof ELK> | null} */
let elk = null;

/**
 * Lays the machine out and draws it into `container`; returns what marking states needs.
 * @param {HTMLElement} container
 * @param {MachineGraph} graph
 */
export async function drawMachine(container, graph) {
  elk ??= new ELK();
  const laidOut = await elk.layout(elkGraph(graph));
  /** @type {Map<string, Box>} */
  const boxes = new Map();
  collectBoxes(laidOut, 0, 0, boxes);
  const width = Math.ceil(laidOut.width ?? 0);
  const height = Math.ceil(laidOut.height ?? 0);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, 'data-machine-id': graph.id });
  const marker = `arrow-${graph.id}`;
  const defs = svg('defs');
  const arrow = svg('marker', { id: marker, viewBox: '0 0 8 8', refX: 8, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto' });
  arrow.append(svg('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#8a93a6' }));
  defs.append(arrow);
  root.append(defs);

  const stays = new Map();
  for (const transition of graph.transitions) {
    if (transition.targets.length === 0) stays.set(transition.source, [...(stays.get(transition.source) ?? []), transition.event]);
  }
  for (const state of graph.states) {
    if (state.parent === null) continue;
    const box = boxes.get(state.id);
    if (!box) continue;
    const compound = graph.states.some((other) => other.parent === state.id);
    const group = svg('g', { class: `state ${compound ? 'compound' : 'atomic'} ${state.type}`, 'data-state-id': state.id });
    const handled = stays.get(state.id);
    group.append(svg('title', {}, `${state.id}${handled ? `\nhandles without leaving: ${handled.join(', ')}` : ''}`));
    group.append(svg('rect', { x: box.x, y: box.y, width: box.width, height: box.height, rx: compound ? 8 : 12 }));
    const label = compound
      ? svg('text', { x: box.x + 10, y: box.y + 16 }, state.key)
      : svg('text', { x: box.x + box.width / 2, y: box.y + box.height / 2 + 4, 'text-anchor': 'middle' }, state.key);
    group.append(label);
    if (state.initial) group.append(svg('circle', { class: 'initial-mark', cx: box.x - 1, cy: box.y + 8, r: 3 }));
    root.append(group);
  }
  const any = boxes.get(`${graph.id}.${ANY}`);
  if (any) {
    const group = svg('g', { class: 'state any' });
    group.append(svg('title', {}, `transitions declared on the machine: taken in any state\n${stays.get(graph.id)?.join(', ') ?? ''}`));
    group.append(svg('rect', { x: any.x, y: any.y, width: any.width, height: any.height, rx: 12 }));
    group.append(svg('text', { x: any.x + any.width / 2, y: any.y + any.height / 2 + 4, 'text-anchor': 'middle' }, 'any state'));
    root.append(group);
  }
  for (const edge of laidOut.edges ?? []) {
    const transition = graph.transitions.find((t) => edge.id.startsWith(`${t.id}>`));
    const offset = boxes.get(/** @type {{ container?: string }} */ (edge).container ?? graph.id) ?? { x: 0, y: 0 };
    const group = svg('g', { class: `edge ${transition?.kind ?? 'event'}`, 'data-edge-id': edge.id });
    for (const section of edge.sections ?? []) {
      const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
      const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${(p.x + offset.x).toFixed(1)},${(p.y + offset.y).toFixed(1)}`).join(' ');
      group.append(svg('path', { d, 'marker-end': `url(#${marker})` }));
    }
    for (const label of edge.labels ?? []) {
      const x = (label.x ?? 0) + offset.x;
      const y = (label.y ?? 0) + offset.y + LABEL_HEIGHT - 3;
      group.append(svg('text', { x, y }, label.text ?? ''));
    }
    if (transition?.guard) group.append(svg('title', {}, `${transition.event} [${transition.guard}]`));
    root.append(group);
  }
  root.append(svg('g', { class: 'badges' }));
  container.replaceChildren(root);
  return { root, boxes };
}

/**
 * Marks where each actor of this machine is: `current` (or `current-slot-N`) on its state, and
 * `contains-current` on the states around it. `where` maps a CSS class to a state value
 * (`answering.serving`); a badge with `badge` text is drawn for each when given.
 * @param {{ root: SVGElement, boxes: Map<string, Box> }} view
 * @param {string} machineId
 * @param {{ cls: string, value: string | null, badge?: string }[]} where
 */
export function markStates(view, machineId, where) {
  const groups = view.root.querySelectorAll('g.state[data-state-id]');
  for (const group of groups) group.classList.remove('contains-current', ...where.map((w) => w.cls));
  const badges = view.root.querySelector('g.badges');
  badges?.replaceChildren();
  for (const [index, { cls, value, badge }] of where.entries()) {
    if (value === null) continue;
    for (const part of value.split(',')) {
      const id = `${machineId}.${part}`;
      const group = view.root.querySelector(`g.state[data-state-id="${CSS.escape(id)}"]`);
      group?.classList.add(cls);
      const segments = id.split('.');
      for (let i = segments.length - 1; i > 1; i--) {
        view.root
          .querySelector(`g.state[data-state-id="${CSS.escape(segments.slice(0, i).join('.'))}"]`)
          ?.classList.add('contains-current');
      }
      const box = view.boxes.get(id);
      if (badge !== undefined && box && badges) {
        const mark = svg('g', { class: `badge ${cls.replace('current-', '')}` });
        mark.append(svg('circle', { cx: box.x + box.width - 4 - index * 15, cy: box.y + 2, r: 7 }));
        mark.append(svg('text', { x: box.x + box.width - 4 - index * 15, y: box.y + 5.5, 'text-anchor': 'middle' }, badge));
        badges.append(mark);
      }
    }
  }
}
