// CSV with a header row (csv-parse): each row a record at the line it starts on. A row the parser
// refuses (wrong number of cells, a quote left open) is reported at its line and skipped; a header
// that cannot name profile fields stops the import.
import { pipeline, Readable } from 'node:stream';
import { type CsvError, type Info, parse } from 'csv-parse';
import { type CsvColumn, csvColumns, csvRecord } from './csv-columns.js';
import { ImportError } from './import-errors.js';
import { LineIndex } from './line-index.js';
import type { RecordSource, SourceRecord } from './record-source.js';

interface ParsedRow {
  info: Info;
  raw: string;
  record: string[];
}

/** csv-parse gives where a row ends (info.bytes: past its line break); a quoted cell may hold line breaks. */
function startLine(row: ParsedRow, lines: LineIndex): number {
  const endLine = lines.lineAt(Math.max(0, row.info.bytes - 1));
  const inner = row.raw.replace(/\r?\n?$/, '');
  let breaks = 0;
  for (let i = inner.indexOf('\n'); i !== -1; i = inner.indexOf('\n', i + 1)) breaks++;
  return endLine - breaks;
}

const bytesOf = (err: CsvError): number => Number((err as CsvError & { bytes?: unknown }).bytes);

function badRow(err: CsvError, columns: CsvColumn[] | null, lines: LineIndex): SourceRecord {
  if (columns === null) throw new ImportError('TANDEM_ERR_IMPORT_BAD_HEADER', `the CSV header row cannot be read: ${err.message}`);
  // A row of the wrong length comes with its cells: its _id, if it has one, names it in the report.
  const cells = (err as CsvError & { record?: unknown }).record;
  const idColumn = columns.findIndex((column) => column.path.length === 1 && column.path[0] === '_id');
  const cell: unknown = Array.isArray(cells) ? cells[idColumn] : undefined;
  const id = typeof cell === 'string' && cell.trim() !== '' ? cell.slice(0, 128) : null;
  const position = lines.lineAt(Math.max(0, bytesOf(err) - 1));
  // csv-parse's own line count is off after a CRLF in a quoted cell: the message names none.
  const message = `${err.code}: ${err.message.replace(/ (on|at) line \d+/, '')}`;
  return { position, id, problem: { code: 'TANDEM_ERR_BAD_CSV_ROW', message } };
}

async function* fedTo(lines: LineIndex, chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    lines.feed(chunk);
    yield chunk;
  }
}

async function* records(chunks: AsyncIterable<Buffer>): AsyncGenerator<SourceRecord> {
  const refused: CsvError[] = [];
  const lines = new LineIndex();
  const parser = parse({
    bom: true,
    info: true,
    raw: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err) => {
      if (err) refused.push(err);
    },
  });
  // pipeline: a read error of the input ends the parser with that error, which the loop throws.
  pipeline(Readable.from(fedTo(lines, chunks)), parser, () => undefined);
  let columns: CsvColumn[] | null = null;
  for await (const row of parser as AsyncIterable<ParsedRow>) {
    // Rows refused before this one: reported in input order.
    while (refused.length > 0 && bytesOf(refused[0]!) < row.info.bytes) yield badRow(refused.shift()!, columns, lines);
    if (columns === null) columns = csvColumns(row.record);
    else yield { position: startLine(row, lines), value: csvRecord(columns, row.record) };
  }
  for (const err of refused.splice(0)) yield badRow(err, columns, lines);
}

export function csvSource(chunks: AsyncIterable<Buffer>): RecordSource {
  return { positionName: 'line', records: () => records(chunks) };
}
