// Runs of consecutive values in a list (5, 6, 7, 9 → 5..7 and 9): rows stored side by side are
// copied or read as one piece instead of one at a time.

/** Calls `visit(at, first, length)` for each run: `values[at..at + length)` are `first`, `first + 1`, …. */
export function forEachRun(values: ArrayLike<number>, visit: (at: number, first: number, length: number) => void): void {
  for (let at = 0; at < values.length; ) {
    let end = at + 1;
    while (end < values.length && values[end] === values[end - 1]! + 1) end++;
    visit(at, values[at]!, end - at);
    at = end;
  }
}
